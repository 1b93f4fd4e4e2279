// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {ICreditVault} from "./interfaces/ICreditVault.sol";
import {ISettlementRegistry} from "./interfaces/ISettlementRegistry.sol";

/// @title CreditVault
/// @notice Holds the credit token that depositors fund API usage with. Deposits credit any account
/// (the payer may differ); settled batches leave the vault (reward share to the reward distributor,
/// the rest to the treasury) when the settlement registry says so; unused credit comes back against
/// a withdrawal voucher signed by the attester registered in the settlement registry.
/// @dev The vault keeps one aggregate figure, `outstandingCredit`: deposited minus paid out minus
/// withdrawn. Per-account balances live in the gateway's ledger, which the attester signs for. Every
/// payout is bounded by `outstandingCredit`, and `outstandingCredit` never exceeds the token balance
/// (tokens sent without `deposit` only add to the balance), so the vault never pays out more than it holds.
contract CreditVault is ICreditVault, AccessControl, Pausable, ReentrancyGuard, EIP712 {
    using SafeERC20 for IERC20;

    /* CONSTANTS */

    /// @notice Role allowed to pause and unpause the entry points.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice EIP-712 type hash of `Voucher`.
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256("Voucher(address account,uint256 amount,uint256 nonce,uint256 deadline)");

    /* STORAGE */

    IERC20 private immutable _token;

    /// @notice The settlement registry: sole caller of `payBatch`, and source of the attester. Set once.
    ISettlementRegistry public settlementRegistry;

    /// @notice Receives the reward share of each settled batch.
    address public rewardDistributor;

    /// @notice Receives the non-reward share of each settled batch.
    address public treasury;

    /// @inheritdoc ICreditVault
    uint256 public outstandingCredit;

    /// @notice Whether the voucher (account, nonce) has been used.
    mapping(address account => mapping(uint256 nonce => bool)) public voucherUsed;

    /* CONSTRUCTOR */

    /// @param token_ The credit token, fixed for the vault's life.
    /// @param admin Holder of the admin and pauser roles.
    /// @param rewardDistributor_ Receiver of batch reward shares.
    /// @param treasury_ Receiver of the rest of each batch.
    constructor(IERC20 token_, address admin, address rewardDistributor_, address treasury_)
        EIP712("Basis CreditVault", "1")
    {
        require(
            address(token_) != address(0) && admin != address(0) && rewardDistributor_ != address(0)
                && treasury_ != address(0),
            ZeroAddress()
        );
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        rewardDistributor = rewardDistributor_;
        treasury = treasury_;
        emit RewardDistributorSet(address(0), rewardDistributor_);
        emit TreasurySet(address(0), treasury_);
    }

    /* EXTERNAL: DEPOSITS AND WITHDRAWALS */

    /// @inheritdoc ICreditVault
    function deposit(address account, uint256 amount) external whenNotPaused nonReentrant returns (uint256) {
        return _deposit(account, amount);
    }

    /// @inheritdoc ICreditVault
    /// @dev The permit is tried, not required: if someone front-ran it, the allowance it set is used.
    function depositWithPermit(address account, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s)
        external
        whenNotPaused
        nonReentrant
        returns (uint256)
    {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        return _deposit(account, amount);
    }

    /// @inheritdoc ICreditVault
    function withdraw(Voucher calldata voucher, bytes calldata signature) external whenNotPaused nonReentrant {
        require(voucher.account != address(0), ZeroAddress());
        require(voucher.amount != 0, ZeroAmount());
        require(block.timestamp <= voucher.deadline, VoucherExpired(voucher.deadline, block.timestamp));
        require(!voucherUsed[voucher.account][voucher.nonce], VoucherAlreadyUsed(voucher.account, voucher.nonce));
        address attester = _registry().attester();
        address signer = ECDSA.recover(voucherDigest(voucher), signature);
        require(signer == attester, InvalidVoucherSigner(signer, attester));
        uint256 outstanding = outstandingCredit;
        require(voucher.amount <= outstanding, InsufficientCredit(voucher.amount, outstanding));

        voucherUsed[voucher.account][voucher.nonce] = true;
        // Cannot underflow: checked against `outstanding` above.
        unchecked {
            outstandingCredit = outstanding - voucher.amount;
        }
        emit Withdrawn(voucher.account, voucher.nonce, voucher.amount, msg.sender);

        _token.safeTransfer(voucher.account, voucher.amount);
    }

    /* EXTERNAL: SETTLEMENT */

    /// @inheritdoc ICreditVault
    function payBatch(uint256 batchId, uint256 charged, uint256 reward) external whenNotPaused nonReentrant {
        require(msg.sender == address(settlementRegistry), NotSettlementRegistry(msg.sender));
        require(reward <= charged, RewardExceedsCharged(reward, charged));
        uint256 outstanding = outstandingCredit;
        require(charged <= outstanding, InsufficientCredit(charged, outstanding));

        uint256 treasuryShare;
        // Cannot underflow: `reward <= charged <= outstanding` checked above.
        unchecked {
            outstandingCredit = outstanding - charged;
            treasuryShare = charged - reward;
        }
        emit BatchPaid(batchId, charged, reward, treasuryShare);

        if (reward != 0) _token.safeTransfer(rewardDistributor, reward);
        if (treasuryShare != 0) _token.safeTransfer(treasury, treasuryShare);
    }

    /* EXTERNAL: ADMINISTRATION */

    /// @notice Sets the settlement registry. Admin only, once: it is the only payout authority.
    function setSettlementRegistry(ISettlementRegistry registry) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(address(registry) != address(0), ZeroAddress());
        require(
            address(settlementRegistry) == address(0), SettlementRegistryAlreadySet(address(settlementRegistry))
        );
        settlementRegistry = registry;
        emit SettlementRegistrySet(address(registry));
    }

    /// @notice Changes the receiver of batch reward shares. Admin only.
    function setRewardDistributor(address distributor) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(distributor != address(0), ZeroAddress());
        emit RewardDistributorSet(rewardDistributor, distributor);
        rewardDistributor = distributor;
    }

    /// @notice Changes the receiver of the non-reward share of batches. Admin only.
    function setTreasury(address treasury_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        require(treasury_ != address(0), ZeroAddress());
        emit TreasurySet(treasury, treasury_);
        treasury = treasury_;
    }

    /// @notice Pauses deposits, withdrawals and payouts. Pauser only.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes deposits, withdrawals and payouts. Pauser only.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /* VIEWS */

    /// @notice The credit token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The EIP-712 digest the attester signs for `voucher`.
    function voucherDigest(Voucher calldata voucher) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(abi.encode(VOUCHER_TYPEHASH, voucher.account, voucher.amount, voucher.nonce, voucher.deadline))
        );
    }

    /// @notice The EIP-712 domain separator of this vault.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /* INTERNAL */

    function _deposit(address account, uint256 amount) private returns (uint256 received) {
        require(account != address(0), ZeroAddress());
        require(amount != 0, ZeroAmount());
        // Credits what actually arrived, so fee-on-transfer tokens cannot over-credit.
        uint256 before = _token.balanceOf(address(this));
        _token.safeTransferFrom(msg.sender, address(this), amount);
        received = _token.balanceOf(address(this)) - before;
        require(received != 0, NothingReceived(amount));
        outstandingCredit += received;
        emit Deposited(msg.sender, account, received);
    }

    function _registry() private view returns (ISettlementRegistry registry) {
        registry = settlementRegistry;
        require(address(registry) != address(0), SettlementRegistryNotSet());
    }
}
