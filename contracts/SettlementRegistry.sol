// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {ICreditVault} from "./interfaces/ICreditVault.sol";
import {ISettlementRegistry} from "./interfaces/ISettlementRegistry.sol";

/// @title SettlementRegistry
/// @notice The append-only record of what the gateway served. Each batch is the merkle root of its
/// receipt hashes (OpenZeppelin `StandardMerkleTree`, leaves `["bytes32"]`), posted with consecutive ids
/// from 1, written once, and chained to the previous batch. Posting a batch pays its charged amount out
/// of the credit vault. The registry also holds the attester address.
/// @dev Gas per batch is flat in the number of receipts: the receipts themselves never touch the chain.
/// The chain head commits to every batch so far:
/// `chainHead_n = keccak256(abi.encode(chainHead_{n-1}, n, root, receiptCount, totalCharged, totalReward, fileHash))`
/// with `chainHead_0 = 0`, so an auditor holding the events can recompute it and compare one word.
contract SettlementRegistry is ISettlementRegistry, AccessControl, Pausable {
    /* CONSTANTS */

    /// @notice Role allowed to post batches (the gateway's settler).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    /// @notice Role allowed to pause and unpause batch posting.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /* STORAGE */

    ICreditVault private immutable _vault;

    /// @inheritdoc ISettlementRegistry
    address public attester;

    /// @notice Id of the last posted batch; 0 before the first.
    uint256 public latestBatchId;

    /// @notice Head of the batch chain after the last posted batch (see the contract's dev note).
    bytes32 public chainHead;

    /// @notice Merkle root of each posted batch; zero for batches not posted.
    mapping(uint256 batchId => bytes32 root) public batchRoot;

    /* CONSTRUCTOR */

    /// @param vault_ The credit vault paying batches out.
    /// @param admin Holder of the admin and pauser roles.
    /// @param settler Holder of the settler role.
    /// @param attester_ The first attester.
    constructor(ICreditVault vault_, address admin, address settler, address attester_) {
        require(
            address(vault_) != address(0) && admin != address(0) && settler != address(0) && attester_ != address(0),
            ZeroAddress()
        );
        _vault = vault_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(SETTLER_ROLE, settler);
        attester = attester_;
        emit AttesterRotated(address(0), attester_);
    }

    /* EXTERNAL */

    /// @inheritdoc ISettlementRegistry
    function postBatch(
        uint256 batchId,
        bytes32 root,
        uint256 receiptCount,
        uint256 totalCharged,
        uint256 totalReward,
        bytes32 fileHash,
        string calldata uri
    ) external onlyRole(SETTLER_ROLE) whenNotPaused {
        uint256 latest = latestBatchId;
        if (batchId != latest + 1) {
            if (batchId != 0 && batchId <= latest) revert BatchAlreadyPosted(batchId);
            revert BatchIdNotNext(batchId, latest + 1);
        }
        require(root != bytes32(0), ZeroRoot());
        require(receiptCount != 0, EmptyBatch());
        require(totalReward <= totalCharged, RewardExceedsCharged(totalReward, totalCharged));

        bytes32 head =
            keccak256(abi.encode(chainHead, batchId, root, receiptCount, totalCharged, totalReward, fileHash));
        latestBatchId = batchId;
        chainHead = head;
        batchRoot[batchId] = root;
        emit BatchPosted(
            batchId, root, batchRoot[latest], head, receiptCount, totalCharged, totalReward, fileHash, uri
        );

        // Interaction last. The vault is trusted (fixed at deploy) and reverts the whole batch if it
        // cannot pay, so a batch is never recorded without its payout.
        if (totalCharged != 0) _vault.payBatch(batchId, totalCharged, totalReward);
    }

    /// @notice Rotates the attester. Admin only.
    function setAttester(address newAttester) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(newAttester != address(0), ZeroAddress());
        emit AttesterRotated(attester, newAttester);
        attester = newAttester;
    }

    /// @notice Pauses batch posting. Pauser only.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes batch posting. Pauser only.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /* VIEWS */

    /// @inheritdoc ISettlementRegistry
    function verifyReceipt(uint256 batchId, bytes32 receiptHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = batchRoot[batchId];
        if (root == bytes32(0)) return false;
        return MerkleProof.verifyCalldata(proof, root, receiptLeaf(receiptHash));
    }

    /// @notice The merkle leaf of a receipt hash: `keccak256(bytes.concat(keccak256(abi.encode(receiptHash))))`,
    /// as `StandardMerkleTree` builds it for the leaf type `["bytes32"]`.
    function receiptLeaf(bytes32 receiptHash) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(receiptHash))));
    }

    /// @notice The credit vault paying batches out.
    function vault() external view returns (ICreditVault) {
        return _vault;
    }
}
