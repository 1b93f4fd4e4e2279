// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

/// @title ICreditVault
/// @notice Events, errors and entry points of the Basis credit vault: the contract that holds the
/// credit token deposited for API usage, pays settled batches out and returns unused credit.
interface ICreditVault {
    /// @notice An EIP-712 withdrawal voucher signed by the attester.
    /// @param account The account whose unused credit is returned; the tokens go to this address.
    /// @param amount The amount in base units of the credit token.
    /// @param nonce A per-account nonce; each (account, nonce) can be used once.
    /// @param deadline The last timestamp (inclusive) at which the voucher may be used.
    struct Voucher {
        address account;
        uint256 amount;
        uint256 nonce;
        uint256 deadline;
    }

    /* EVENTS */

    /// @notice `payer` deposited `amount` (what the vault actually received) credited to `account`.
    event Deposited(address indexed payer, address indexed account, uint256 amount);

    /// @notice `account` withdrew `amount` of unused credit with the voucher `nonce`.
    event Withdrawn(address indexed account, uint256 indexed nonce, uint256 amount, address caller);

    /// @notice Batch `batchId` was paid out: `reward` to the reward distributor, `treasuryShare` to the treasury.
    event BatchPaid(uint256 indexed batchId, uint256 charged, uint256 reward, uint256 treasuryShare);

    /// @notice The settlement registry allowed to trigger payouts was set (once).
    event SettlementRegistrySet(address indexed registry);

    /// @notice The reward distributor receiving the reward share changed.
    event RewardDistributorSet(address indexed previous, address indexed current);

    /// @notice The treasury receiving the non-reward share changed.
    event TreasurySet(address indexed previous, address indexed current);

    /* ERRORS */

    /// @notice An amount was zero where a positive amount is required.
    error ZeroAmount();

    /// @notice An address parameter was the zero address.
    error ZeroAddress();

    /// @notice The token transfer delivered nothing to the vault.
    error NothingReceived(uint256 requested);

    /// @notice The voucher's deadline has passed.
    error VoucherExpired(uint256 deadline, uint256 timestamp);

    /// @notice The voucher (account, nonce) was already used.
    error VoucherAlreadyUsed(address account, uint256 nonce);

    /// @notice The voucher was not signed by the registry's attester.
    error InvalidVoucherSigner(address signer, address attester);

    /// @notice A payout would exceed the credit the vault still owes: it never pays more than it holds.
    error InsufficientCredit(uint256 requested, uint256 outstanding);

    /// @notice A batch's reward share exceeds its charged amount.
    error RewardExceedsCharged(uint256 reward, uint256 charged);

    /// @notice The caller is not the settlement registry.
    error NotSettlementRegistry(address caller);

    /// @notice The settlement registry is already set and cannot change.
    error SettlementRegistryAlreadySet(address registry);

    /// @notice The settlement registry is not set yet.
    error SettlementRegistryNotSet();

    /* FUNCTIONS */

    /// @notice Deposits `amount` from the caller and credits `account` with what the vault received.
    function deposit(address account, uint256 amount) external returns (uint256 received);

    /// @notice Like `deposit`, approving the vault first with an EIP-2612 permit signed by the caller.
    function depositWithPermit(address account, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        returns (uint256 received);

    /// @notice Returns unused credit to `voucher.account` against an attester-signed voucher.
    function withdraw(Voucher calldata voucher, bytes calldata signature) external;

    /// @notice Pays a settled batch out. Only the settlement registry calls this.
    function payBatch(uint256 batchId, uint256 charged, uint256 reward) external;

    /// @notice Credit deposited and not yet settled or withdrawn: what the vault owes.
    function outstandingCredit() external view returns (uint256);
}
