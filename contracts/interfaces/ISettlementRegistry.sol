// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title ISettlementRegistry
/// @notice Events, errors and entry points of the Basis settlement registry: an append-only chain of
/// batches, each the merkle root of the receipt hashes the gateway served, paid out from the vault.
interface ISettlementRegistry {
    /* EVENTS */

    /// @notice Batch `batchId` was posted. `previousRoot` is the root of batch `batchId - 1` (zero for
    /// the first) and `chainHead` the new head of the batch chain (see `chainHead()`).
    event BatchPosted(
        uint256 indexed batchId,
        bytes32 indexed root,
        bytes32 previousRoot,
        bytes32 chainHead,
        uint256 receiptCount,
        uint256 totalCharged,
        uint256 totalReward,
        bytes32 fileHash,
        string uri
    );

    /// @notice The attester (the key that signs receipts and withdrawal vouchers) changed.
    event AttesterRotated(address indexed previous, address indexed current);

    /* ERRORS */

    /// @notice The batch id is not the next one (`expected`): ids are consecutive from 1.
    error BatchIdNotNext(uint256 batchId, uint256 expected);

    /// @notice The batch was already posted; posted batches are write-once.
    error BatchAlreadyPosted(uint256 batchId);

    /// @notice A batch needs a non-zero root.
    error ZeroRoot();

    /// @notice A batch needs at least one receipt.
    error EmptyBatch();

    /// @notice The reward share exceeds the charged amount.
    error RewardExceedsCharged(uint256 reward, uint256 charged);

    /// @notice An address parameter was the zero address.
    error ZeroAddress();

    /* FUNCTIONS */

    /// @notice Posts the next batch and pays it out from the vault. Settler role only.
    function postBatch(
        uint256 batchId,
        bytes32 root,
        uint256 receiptCount,
        uint256 totalCharged,
        uint256 totalReward,
        bytes32 fileHash,
        string calldata uri
    ) external;

    /// @notice True when `proof` shows `receiptHash` is a leaf of batch `batchId`.
    function verifyReceipt(uint256 batchId, bytes32 receiptHash, bytes32[] calldata proof)
        external
        view
        returns (bool);

    /// @notice The address whose EIP-191 signatures over receipt hashes, and EIP-712 signatures over
    /// withdrawal vouchers, the network accepts.
    function attester() external view returns (address);
}
