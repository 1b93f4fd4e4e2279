// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title IRewardDistributor
/// @notice Events, errors and entry points of the Basis reward distributor: cumulative merkle claims
/// over leaves `(account, cumulativeAmount)`, with new roots behind a timelock a guardian can revoke.
interface IRewardDistributor {
    /* EVENTS */

    /// @notice A root was proposed; it can be accepted from `validAt`. `fileHash` is the SHA-256 of
    /// the published reward tree.
    event RootProposed(bytes32 indexed root, bytes32 fileHash, uint256 validAt);

    /// @notice The pending root became the claimable root.
    event RootAccepted(bytes32 indexed root, bytes32 fileHash);

    /// @notice A guardian revoked the pending root.
    event PendingRootRevoked(bytes32 indexed root, address indexed guardian);

    /// @notice The timelock for new roots changed.
    event TimelockSet(uint256 previous, uint256 current);

    /// @notice `amount` was paid to `account`; `claimed(account)` is the running total. The event carries
    /// only the amount to keep a first claim under 95k gas (the indexer sums amounts per account).
    event Claimed(address indexed account, uint256 amount);

    /* ERRORS */

    /// @notice An address parameter was the zero address.
    error ZeroAddress();

    /// @notice A root was the zero value.
    error ZeroRoot();

    /// @notice There is no pending root.
    error NoPendingRoot();

    /// @notice The pending root's timelock has not passed yet.
    error TimelockNotExpired(uint256 validAt, uint256 timestamp);

    /// @notice No root has been accepted yet.
    error NoRoot();

    /// @notice The proof does not show (account, cumulativeAmount) in the current root.
    error InvalidProof(address account, uint256 cumulativeAmount);

    /// @notice The cumulative amount is not above what the account already claimed.
    error NothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed);

    /* FUNCTIONS */

    /// @notice Pays `cumulativeAmount - claimed[account]` to `account`. Anyone may submit it.
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof)
        external
        returns (uint256 amount);
}
