// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test} from "forge-std/Test.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

import {CreditVault} from "../CreditVault.sol";
import {SettlementRegistry} from "../SettlementRegistry.sol";
import {DevCreditToken} from "../dev/DevCreditToken.sol";
import {ICreditVault} from "../interfaces/ICreditVault.sol";

/// @notice A token that burns `feeBps` of every transfer: what arrives is less than what was sent.
contract FeeOnTransferToken is ERC20 {
    uint256 public immutable feeBps;

    constructor(uint256 feeBps_) ERC20("Fee", "FEE") {
        feeBps = feeBps_;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        uint256 fee = from == address(0) || to == address(0) ? 0 : value * feeBps / 10_000;
        if (fee != 0) super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}

/// @title CreditVaultTest
/// @notice Fuzz specification of the CreditVault, wired to a real SettlementRegistry:
/// - a deposit credits exactly what arrived (also with a fee-on-transfer token), from any payer to any account;
/// - a withdrawal pays the voucher's account only against a fresh, unexpired voucher signed (EIP-712) by
///   the registry's current attester, and never above the outstanding credit (donations are not credit);
/// - a settled batch leaves the vault split exactly into reward (distributor) and charged − reward
///   (treasury), only through the registry, and never above the outstanding credit.
contract CreditVaultTest is Test {
    uint256 internal constant MAX_AMOUNT = 1e36;
    uint256 internal constant ATTESTER_KEY = 0xA77E57E5;

    DevCreditToken internal token;
    CreditVault internal vault;
    SettlementRegistry internal registry;

    address internal admin = makeAddr("admin");
    address internal settler = makeAddr("settler");
    address internal distributor = makeAddr("distributor");
    address internal treasury = makeAddr("treasury");
    address internal attester;

    function setUp() public {
        attester = vm.addr(ATTESTER_KEY);
        token = new DevCreditToken();
        vault = new CreditVault(token, admin, distributor, treasury);
        registry = new SettlementRegistry(vault, admin, settler, attester);
        vm.prank(admin);
        vault.setSettlementRegistry(registry);
    }

    /* HELPERS */

    function _deposit(address payer, address account, uint256 amount) internal returns (uint256 received) {
        token.mint(payer, amount);
        vm.startPrank(payer);
        token.approve(address(vault), amount);
        received = vault.deposit(account, amount);
        vm.stopPrank();
    }

    function _voucher(address account, uint256 amount, uint256 nonce, uint256 deadline)
        internal
        pure
        returns (ICreditVault.Voucher memory)
    {
        return ICreditVault.Voucher({account: account, amount: amount, nonce: nonce, deadline: deadline});
    }

    function _sign(uint256 key, ICreditVault.Voucher memory voucher) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, vault.voucherDigest(voucher));
        return abi.encodePacked(r, s, v);
    }

    function _assumeUser(address who) internal view {
        vm.assume(who != address(0) && who != address(vault) && who != distributor && who != treasury);
    }

    /* DEPOSITS */

    function testFuzz_DepositCreditsExactlyWhatArrived(address payer, address account, uint256 amount, uint256 prior)
        public
    {
        _assumeUser(payer);
        vm.assume(account != address(0));
        amount = bound(amount, 1, MAX_AMOUNT);
        prior = bound(prior, 0, MAX_AMOUNT);
        if (prior != 0) _deposit(makeAddr("earlier"), makeAddr("someone"), prior);

        uint256 received = _deposit(payer, account, amount);

        assertEq(received, amount, "received");
        assertEq(vault.outstandingCredit(), prior + amount, "outstanding credit");
        assertEq(token.balanceOf(address(vault)), prior + amount, "vault balance");
        assertEq(token.balanceOf(payer), 0, "payer paid everything");
    }

    function testFuzz_DepositCreditsOnlyWhatArrivedWithFeeOnTransferToken(uint256 amount, uint256 feeBps) public {
        feeBps = bound(feeBps, 1, 5_000);
        amount = bound(amount, 10_000, MAX_AMOUNT);
        FeeOnTransferToken feeToken = new FeeOnTransferToken(feeBps);
        CreditVault feeVault = new CreditVault(IERC20(address(feeToken)), admin, distributor, treasury);
        address payer = makeAddr("payer");
        feeToken.mint(payer, amount);

        vm.startPrank(payer);
        feeToken.approve(address(feeVault), amount);
        uint256 received = feeVault.deposit(payer, amount);
        vm.stopPrank();

        uint256 arrived = amount - amount * feeBps / 10_000;
        assertEq(received, arrived, "received");
        assertEq(feeVault.outstandingCredit(), arrived, "credits what arrived, not what was sent");
        assertEq(feeToken.balanceOf(address(feeVault)), arrived, "vault balance");
    }

    function testFuzz_DepositRevertsForZeroAccountOrAmount(address payer, uint256 amount) public {
        _assumeUser(payer);
        amount = bound(amount, 1, MAX_AMOUNT);
        token.mint(payer, amount);
        vm.startPrank(payer);
        token.approve(address(vault), amount);
        vm.expectRevert(ICreditVault.ZeroAddress.selector);
        vault.deposit(address(0), amount);
        vm.expectRevert(ICreditVault.ZeroAmount.selector);
        vault.deposit(payer, 0);
        vm.stopPrank();
        assertEq(vault.outstandingCredit(), 0);
    }

    function testFuzz_DepositWithPermitCreditsEvenWhenPermitWasFrontRun(uint256 payerKey, uint256 amount, bool frontRun)
        public
    {
        payerKey = bound(payerKey, 1, 1e60);
        address payer = vm.addr(payerKey);
        _assumeUser(payer);
        amount = bound(amount, 1, MAX_AMOUNT);
        token.mint(payer, amount);
        uint256 deadline = block.timestamp + 1 hours;
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"),
                payer,
                address(vault),
                amount,
                token.nonces(payer),
                deadline
            )
        );
        bytes32 digest = keccak256(abi.encodePacked("\x19\x01", token.DOMAIN_SEPARATOR(), structHash));
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(payerKey, digest);
        if (frontRun) token.permit(payer, address(vault), amount, deadline, v, r, s);

        vm.prank(payer);
        uint256 received = vault.depositWithPermit(payer, amount, deadline, v, r, s);

        assertEq(received, amount);
        assertEq(vault.outstandingCredit(), amount);
    }

    /* WITHDRAWALS */

    function testFuzz_WithdrawPaysVoucherAccountWhoeverSubmits(
        address account,
        address caller,
        uint256 deposited,
        uint256 amount,
        uint256 nonce,
        uint256 deadline
    ) public {
        _assumeUser(account);
        deposited = bound(deposited, 1, MAX_AMOUNT);
        amount = bound(amount, 1, deposited);
        deadline = bound(deadline, block.timestamp, type(uint256).max);
        _deposit(makeAddr("payer"), account, deposited);
        uint256 before = token.balanceOf(account);
        ICreditVault.Voucher memory voucher = _voucher(account, amount, nonce, deadline);

        vm.prank(caller);
        vault.withdraw(voucher, _sign(ATTESTER_KEY, voucher));

        assertEq(token.balanceOf(account) - before, amount, "account paid");
        assertEq(vault.outstandingCredit(), deposited - amount, "outstanding credit");
        assertTrue(vault.voucherUsed(account, nonce), "voucher marked used");
    }

    function testFuzz_WithdrawRevertsWhenVoucherReplayed(uint256 amount, uint256 secondAmount, uint256 nonce) public {
        address account = makeAddr("account");
        amount = bound(amount, 1, MAX_AMOUNT);
        secondAmount = bound(secondAmount, 1, MAX_AMOUNT);
        _deposit(account, account, MAX_AMOUNT * 2);
        ICreditVault.Voucher memory voucher = _voucher(account, amount, nonce, block.timestamp);
        bytes memory signature = _sign(ATTESTER_KEY, voucher);
        vault.withdraw(voucher, signature);

        // The same voucher, and a freshly signed voucher reusing the nonce, both fail.
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.VoucherAlreadyUsed.selector, account, nonce));
        vault.withdraw(voucher, signature);
        ICreditVault.Voucher memory again = _voucher(account, secondAmount, nonce, block.timestamp + 1);
        bytes memory againSignature = _sign(ATTESTER_KEY, again);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.VoucherAlreadyUsed.selector, account, nonce));
        vault.withdraw(again, againSignature);

        assertEq(token.balanceOf(account), amount, "paid once");
        assertEq(vault.outstandingCredit(), MAX_AMOUNT * 2 - amount);
    }

    function testFuzz_WithdrawRevertsAfterDeadline(uint256 deadline, uint256 lateBy) public {
        address account = makeAddr("account");
        _deposit(account, account, 100);
        deadline = bound(deadline, block.timestamp, type(uint64).max);
        lateBy = bound(lateBy, 1, type(uint64).max);
        ICreditVault.Voucher memory voucher = _voucher(account, 100, 7, deadline);
        bytes memory signature = _sign(ATTESTER_KEY, voucher);

        vm.warp(deadline + lateBy);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.VoucherExpired.selector, deadline, deadline + lateBy));
        vault.withdraw(voucher, signature);

        vm.warp(deadline); // inclusive deadline
        vault.withdraw(voucher, signature);
        assertEq(token.balanceOf(account), 100);
    }

    function testFuzz_WithdrawRevertsForOtherSigner(uint256 otherKey, uint256 amount, uint256 nonce) public {
        otherKey = bound(otherKey, 1, 1e60);
        vm.assume(otherKey != ATTESTER_KEY);
        address account = makeAddr("account");
        amount = bound(amount, 1, MAX_AMOUNT);
        _deposit(account, account, amount);
        ICreditVault.Voucher memory voucher = _voucher(account, amount, nonce, block.timestamp);
        bytes memory signature = _sign(otherKey, voucher);

        vm.expectRevert(
            abi.encodeWithSelector(ICreditVault.InvalidVoucherSigner.selector, vm.addr(otherKey), attester)
        );
        vault.withdraw(voucher, signature);
        assertFalse(vault.voucherUsed(account, nonce));
    }

    function testFuzz_WithdrawRevertsWhenVoucherFieldsAltered(uint256 amount, uint256 delta, uint8 field) public {
        address account = makeAddr("account");
        amount = bound(amount, 2, MAX_AMOUNT);
        delta = bound(delta, 1, amount - 1);
        _deposit(account, account, MAX_AMOUNT * 2);
        ICreditVault.Voucher memory signed = _voucher(account, amount, 1, block.timestamp + 1 days);
        bytes memory signature = _sign(ATTESTER_KEY, signed);
        ICreditVault.Voucher memory altered = _voucher(account, amount, 1, block.timestamp + 1 days);
        field = field % 4;
        if (field == 0) altered.account = makeAddr("thief");
        else if (field == 1) altered.amount = amount + delta;
        else if (field == 2) altered.nonce = 1 + delta;
        else altered.deadline = signed.deadline + delta;

        address recovered = ECDSA.recover(vault.voucherDigest(altered), signature);
        assertTrue(recovered != attester);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.InvalidVoucherSigner.selector, recovered, attester));
        vault.withdraw(altered, signature);
    }

    function testFuzz_WithdrawFollowsAttesterRotation(uint256 newKey, uint256 amount) public {
        newKey = bound(newKey, 1, 1e60);
        vm.assume(newKey != ATTESTER_KEY);
        address account = makeAddr("account");
        amount = bound(amount, 1, MAX_AMOUNT);
        _deposit(account, account, amount);
        vm.prank(admin);
        registry.setAttester(vm.addr(newKey));

        ICreditVault.Voucher memory voucher = _voucher(account, amount, 0, block.timestamp);
        bytes memory oldSignature = _sign(ATTESTER_KEY, voucher);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.InvalidVoucherSigner.selector, attester, vm.addr(newKey)));
        vault.withdraw(voucher, oldSignature);
        vault.withdraw(voucher, _sign(newKey, voucher));
        assertEq(token.balanceOf(account), amount);
    }

    function testFuzz_WithdrawRevertsAboveOutstandingCreditEvenWithDonations(
        uint256 deposited,
        uint256 donated,
        uint256 excess
    ) public {
        address account = makeAddr("account");
        deposited = bound(deposited, 1, MAX_AMOUNT);
        donated = bound(donated, 1, MAX_AMOUNT);
        excess = bound(excess, 1, donated);
        _deposit(account, account, deposited);
        token.mint(address(vault), donated); // a donation: balance, not credit
        assertEq(vault.outstandingCredit(), deposited, "donations are not credit");

        uint256 amount = deposited + excess;
        ICreditVault.Voucher memory voucher = _voucher(account, amount, 0, block.timestamp);
        bytes memory signature = _sign(ATTESTER_KEY, voucher);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.InsufficientCredit.selector, amount, deposited));
        vault.withdraw(voucher, signature);
    }

    function testFuzz_VoucherDigestIsStandardEip712(address account, uint256 amount, uint256 nonce, uint256 deadline)
        public
        view
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("Basis CreditVault"),
                keccak256("1"),
                block.chainid,
                address(vault)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("Voucher(address account,uint256 amount,uint256 nonce,uint256 deadline)"),
                account,
                amount,
                nonce,
                deadline
            )
        );
        assertEq(vault.domainSeparator(), domain);
        assertEq(
            vault.voucherDigest(_voucher(account, amount, nonce, deadline)),
            keccak256(abi.encodePacked("\x19\x01", domain, structHash))
        );
    }

    /* SETTLEMENT PAYOUTS */

    function testFuzz_PayBatchSplitsExactlyRewardAndTreasury(uint256 deposited, uint256 charged, uint256 reward)
        public
    {
        deposited = bound(deposited, 1, MAX_AMOUNT);
        charged = bound(charged, 1, deposited);
        reward = bound(reward, 0, charged);
        _deposit(makeAddr("payer"), makeAddr("account"), deposited);

        vm.prank(settler);
        registry.postBatch(1, keccak256("root"), 1, charged, reward, bytes32(0), "");

        assertEq(token.balanceOf(distributor), reward, "reward share");
        assertEq(token.balanceOf(treasury), charged - reward, "treasury share");
        assertEq(token.balanceOf(address(vault)), deposited - charged, "vault keeps the rest");
        assertEq(vault.outstandingCredit(), deposited - charged, "outstanding credit");
    }

    function testFuzz_PayBatchRevertsAboveOutstandingCredit(uint256 deposited, uint256 donated, uint256 excess) public {
        deposited = bound(deposited, 0, MAX_AMOUNT);
        donated = bound(donated, 0, MAX_AMOUNT);
        excess = bound(excess, 1, MAX_AMOUNT);
        if (deposited != 0) _deposit(makeAddr("payer"), makeAddr("account"), deposited);
        token.mint(address(vault), donated);
        uint256 charged = deposited + excess;

        vm.prank(settler);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.InsufficientCredit.selector, charged, deposited));
        registry.postBatch(1, keccak256("root"), 1, charged, 0, bytes32(0), "");
        assertEq(registry.latestBatchId(), 0, "batch not recorded without its payout");
        assertEq(token.balanceOf(address(vault)), deposited + donated);
    }

    function testFuzz_PayBatchRevertsForAnyCallerButRegistry(address caller, uint256 charged) public {
        vm.assume(caller != address(registry));
        _deposit(makeAddr("payer"), makeAddr("account"), MAX_AMOUNT);
        charged = bound(charged, 0, MAX_AMOUNT);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.NotSettlementRegistry.selector, caller));
        vault.payBatch(1, charged, 0);
    }

    function testFuzz_PayBatchRevertsWhenRewardExceedsCharged(uint256 charged, uint256 reward) public {
        _deposit(makeAddr("payer"), makeAddr("account"), MAX_AMOUNT);
        charged = bound(charged, 0, MAX_AMOUNT - 1);
        reward = bound(reward, charged + 1, MAX_AMOUNT);
        vm.prank(address(registry));
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.RewardExceedsCharged.selector, reward, charged));
        vault.payBatch(1, charged, reward);
    }

    function testFuzz_PauseStopsDepositsWithdrawalsAndPayouts(uint256 amount) public {
        amount = bound(amount, 1, MAX_AMOUNT);
        address account = makeAddr("account");
        _deposit(account, account, amount);
        vm.prank(admin);
        vault.pause();

        token.mint(account, amount);
        vm.prank(account);
        vm.expectRevert(); // EnforcedPause
        vault.deposit(account, amount);
        ICreditVault.Voucher memory voucher = _voucher(account, amount, 0, block.timestamp);
        bytes memory signature = _sign(ATTESTER_KEY, voucher);
        vm.expectRevert();
        vault.withdraw(voucher, signature);
        vm.prank(settler);
        vm.expectRevert();
        registry.postBatch(1, keccak256("root"), 1, amount, 0, bytes32(0), "");

        vm.prank(admin);
        vault.unpause();
        vault.withdraw(voucher, signature);
        assertEq(vault.outstandingCredit(), 0);
    }

    function testFuzz_SettlementRegistryIsSetOnce(address other) public {
        vm.assume(other != address(0));
        vm.prank(admin);
        vm.expectRevert(abi.encodeWithSelector(ICreditVault.SettlementRegistryAlreadySet.selector, address(registry)));
        vault.setSettlementRegistry(SettlementRegistry(other));
    }
}
