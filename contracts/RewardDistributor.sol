// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {IRewardDistributor} from "./interfaces/IRewardDistributor.sol";

/// @title RewardDistributor
/// @notice Pays contributors the rewards their workers earned, by cumulative merkle claims. Each root
/// commits to every contributor's total earned reward so far (OpenZeppelin `StandardMerkleTree`, leaves
/// `["address","uint256"]` = `(account, cumulativeAmount)`); a claim pays the difference with what the
/// account already claimed, so claiming with an old and a new root never pays twice. New roots wait
/// out a timelock during which a guardian can revoke them. Funding is the reward share of each settled
/// batch, sent by the credit vault; a claim never pays more than the distributor holds: the token
/// transfer reverts (`ERC20InsufficientBalance`) rather than pay out funding the distributor never received.
contract RewardDistributor is IRewardDistributor, AccessControl, Pausable {
    using SafeERC20 for IERC20;

    /// @notice A proposed root waiting for its timelock.
    struct PendingRoot {
        bytes32 root;
        bytes32 fileHash;
        uint256 validAt;
    }

    /* CONSTANTS */

    /// @notice Role allowed to propose roots (the gateway's reward epoch job).
    bytes32 public constant PROPOSER_ROLE = keccak256("PROPOSER_ROLE");

    /// @notice Role allowed to revoke a pending root.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Role allowed to pause and unpause claims and root changes.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /* STORAGE */

    IERC20 private immutable _token;

    /// @notice The accepted root; zero until the first root is accepted. Pausing does not change it.
    bytes32 public root;

    /// @dev `root` while not paused, zero while paused. It is the only slot of this contract `claim`
    /// reads before the account's own, so a claim pays one cold SLOAD instead of two (root and pause flag).
    bytes32 private _claimableRoot;

    /// @notice SHA-256 of the published reward tree behind `root`.
    bytes32 public rootFileHash;

    /// @notice Seconds a proposed root waits before it can be accepted.
    uint256 public timelock;

    /// @notice The root waiting for its timelock, if any (`root == 0` when none).
    PendingRoot public pendingRoot;

    /// @notice Total amount each account has claimed so far.
    mapping(address account => uint256) public claimed;

    /* CONSTRUCTOR */

    /// @param token_ The reward token (the vault's credit token).
    /// @param admin Holder of the admin, pauser and guardian roles.
    /// @param proposer Holder of the proposer role.
    /// @param timelock_ Seconds between proposing a root and accepting it.
    constructor(IERC20 token_, address admin, address proposer, uint256 timelock_) {
        require(address(token_) != address(0) && admin != address(0) && proposer != address(0), ZeroAddress());
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, admin);
        _grantRole(PROPOSER_ROLE, proposer);
        timelock = timelock_;
        emit TimelockSet(0, timelock_);
    }

    /* EXTERNAL: CLAIMS */

    /// @inheritdoc IRewardDistributor
    /// @dev Pausable without the `whenNotPaused` modifier: `_claimableRoot` is zero while paused.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        returns (uint256 amount)
    {
        bytes32 current = _claimableRoot;
        if (current == bytes32(0)) {
            _requireNotPaused();
            revert NoRoot();
        }
        require(account != address(0), ZeroAddress());
        require(
            MerkleProof.verifyCalldata(proof, current, rewardLeaf(account, cumulativeAmount)),
            InvalidProof(account, cumulativeAmount)
        );
        uint256 already = claimed[account];
        require(cumulativeAmount > already, NothingToClaim(account, cumulativeAmount, already));
        // Cannot underflow: checked just above.
        unchecked {
            amount = cumulativeAmount - already;
        }
        // Effects before the transfer; the token is fixed at deploy, so no reentrancy guard is needed
        // (a re-entered claim would find `claimed` already raised and pay nothing).
        claimed[account] = cumulativeAmount;
        emit Claimed(account, amount);

        _token.safeTransfer(account, amount);
    }

    /* EXTERNAL: ROOTS */

    /// @notice Proposes `newRoot`, claimable after the timelock. Replaces any pending root. Proposer only.
    /// @param newRoot The root of the cumulative reward tree.
    /// @param fileHash SHA-256 of the published reward tree file.
    function proposeRoot(bytes32 newRoot, bytes32 fileHash) external onlyRole(PROPOSER_ROLE) whenNotPaused {
        require(newRoot != bytes32(0), ZeroRoot());
        uint256 validAt = block.timestamp + timelock;
        pendingRoot = PendingRoot(newRoot, fileHash, validAt);
        emit RootProposed(newRoot, fileHash, validAt);
    }

    /// @notice Makes the pending root claimable once its timelock has passed. Anyone may call it.
    function acceptRoot() external whenNotPaused {
        PendingRoot memory pending = pendingRoot;
        require(pending.root != bytes32(0), NoPendingRoot());
        require(block.timestamp >= pending.validAt, TimelockNotExpired(pending.validAt, block.timestamp));
        root = pending.root;
        _claimableRoot = pending.root;
        rootFileHash = pending.fileHash;
        delete pendingRoot;
        emit RootAccepted(pending.root, pending.fileHash);
    }

    /// @notice Revokes the pending root. Guardian only.
    function revokePendingRoot() external onlyRole(GUARDIAN_ROLE) {
        bytes32 pending = pendingRoot.root;
        require(pending != bytes32(0), NoPendingRoot());
        delete pendingRoot;
        emit PendingRootRevoked(pending, msg.sender);
    }

    /* EXTERNAL: ADMINISTRATION */

    /// @notice Sets the timelock for roots proposed from now on. Admin only.
    function setTimelock(uint256 newTimelock) external onlyRole(DEFAULT_ADMIN_ROLE) {
        emit TimelockSet(timelock, newTimelock);
        timelock = newTimelock;
    }

    /// @notice Pauses claims and root changes. Pauser only.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        delete _claimableRoot;
    }

    /// @notice Resumes claims and root changes. Pauser only.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
        _claimableRoot = root;
    }

    /* VIEWS */

    /// @notice The reward token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The merkle leaf of a reward entry:
    /// `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, as
    /// `StandardMerkleTree` builds it for the leaf type `["address","uint256"]`.
    function rewardLeaf(address account, uint256 cumulativeAmount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))));
    }
}
