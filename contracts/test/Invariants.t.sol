// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test} from "forge-std/Test.sol";
import {CommonBase} from "forge-std/Base.sol";
import {StdCheats} from "forge-std/StdCheats.sol";
import {StdUtils} from "forge-std/StdUtils.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {CreditVault} from "../CreditVault.sol";
import {RewardDistributor} from "../RewardDistributor.sol";
import {SettlementRegistry} from "../SettlementRegistry.sol";
import {DevCreditToken} from "../dev/DevCreditToken.sol";
import {ICreditVault} from "../interfaces/ICreditVault.sol";

/// @title BasisHandler
/// @notice Drives the whole deployed system with bounded random actions: deposits, attester-signed
/// withdrawals (fresh, reused or forged nonces; live or expired deadlines), batch posts (right and wrong
/// ids, charges up to beyond the outstanding credit), reward roots over trees of 2–4 accounts whose
/// cumulative amounts only grow (propose, revoke, accept after a time warp, claim with right, stale or
/// foreign proofs), token donations to the vault and the distributor, and pausing/unpausing each
/// contract. Every action predicts whether it must succeed and records surprises either way; ghost
/// variables record what really moved.
contract BasisHandler is CommonBase, StdCheats, StdUtils {
    DevCreditToken internal immutable token;
    CreditVault internal immutable vault;
    SettlementRegistry internal immutable registry;
    RewardDistributor internal immutable distributor;
    address internal immutable admin;
    address internal immutable settler;
    address internal immutable proposer;
    address internal immutable treasury;
    uint256 internal immutable attesterKey;

    address[3] internal payers = [makeAddr("payer0"), makeAddr("payer1"), makeAddr("payer2")];
    address[3] internal vaultAccounts = [makeAddr("user0"), makeAddr("user1"), makeAddr("user2")];
    address[4] public claimants =
        [makeAddr("claimant0"), makeAddr("claimant1"), makeAddr("claimant2"), makeAddr("claimant3")];
    address internal donor = makeAddr("donor");

    // Vault flows, as measured on token balances.
    uint256 public ghostDeposited;
    uint256 public ghostPaidOut;
    uint256 public ghostWithdrawn;
    uint256 public ghostDonatedToVault;
    // Distributor flows.
    uint256 public ghostRewardFunded;
    uint256 public ghostDonatedToDistributor;
    mapping(address => uint256) public ghostPaidTo;
    mapping(address => uint256) public ghostMaxAcceptedCumulative;
    // Batches.
    uint256 public ghostPosts;
    mapping(uint256 => bytes32) public ghostRoot;
    bytes32 public ghostChainHead;
    // Vouchers.
    mapping(address => mapping(uint256 => uint256)) public ghostWithdrawals;
    uint256 public ghostMaxWithdrawalsPerVoucher;
    address[] internal usedAccounts;
    uint256[] internal usedNonces;
    // Surprises: an action predicted to revert that succeeded, or the other way round, or a wrong amount moved.
    uint256 public ghostUnexpectedSuccesses;
    uint256 public ghostUnexpectedReverts;
    uint256 public ghostMispaid;
    // Reward trees: the cumulative amounts of the last proposed and of the accepted root.
    uint256[4] internal proposed;
    bytes32 internal pendingRoot;
    bytes32 public ghostAcceptedRoot;
    uint256[4] internal pendingAmounts;
    uint256 internal pendingSize;
    uint256 internal pendingValidAt;
    uint256[4] internal acceptedAmounts;
    uint256 internal acceptedSize;
    uint256[4] internal previousAmounts;
    uint256 internal previousSize;
    // Which of vault (0), registry (1), distributor (2) the handler paused.
    bool[3] public paused;

    constructor(
        DevCreditToken token_,
        CreditVault vault_,
        SettlementRegistry registry_,
        RewardDistributor distributor_,
        address[4] memory roles, // admin, settler, proposer, treasury
        uint256 attesterKey_
    ) {
        (token, vault, registry, distributor, attesterKey) = (token_, vault_, registry_, distributor_, attesterKey_);
        (admin, settler, proposer, treasury) = (roles[0], roles[1], roles[2], roles[3]);
    }

    /* VAULT */

    function deposit(uint256 payerSeed, uint256 accountSeed, uint256 amount) external {
        address payer = payers[payerSeed % 3];
        amount = _bound(amount, 1, 1_000e18);
        token.mint(payer, amount);
        vm.prank(payer);
        token.approve(address(vault), amount);
        uint256 before = token.balanceOf(address(vault));
        vm.prank(payer);
        try vault.deposit(vaultAccounts[accountSeed % 3], amount) returns (uint256 received) {
            uint256 arrived = token.balanceOf(address(vault)) - before;
            ghostDeposited += arrived;
            if (received != arrived || arrived != amount) ++ghostMispaid;
            if (paused[0]) ++ghostUnexpectedSuccesses;
        } catch {
            if (!paused[0]) ++ghostUnexpectedReverts;
        }
    }

    function withdraw(uint256 accountSeed, uint256 amount, uint256 nonceSeed, uint256 deadlineSeed, uint8 mode)
        external
    {
        ICreditVault.Voucher memory voucher;
        if (mode % 4 == 0 && usedNonces.length != 0) {
            uint256 k = nonceSeed % usedNonces.length; // replay a nonce that already paid, freshly signed
            (voucher.account, voucher.nonce) = (usedAccounts[k], usedNonces[k]);
        } else {
            (voucher.account, voucher.nonce) = (vaultAccounts[accountSeed % 3], nonceSeed % 16);
        }
        uint256 outstanding = vault.outstandingCredit();
        voucher.amount = _bound(amount, 1, outstanding + outstanding / 4 + 1);
        voucher.deadline = deadlineSeed % 5 == 0
            ? block.timestamp - _bound(deadlineSeed, 1, block.timestamp > 1 ? block.timestamp - 1 : 1)
            : block.timestamp + _bound(deadlineSeed, 0, 1 days);
        bool forged = mode % 7 == 3;
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(forged ? attesterKey + 1 : attesterKey, vault.voucherDigest(voucher));
        bool valid = !paused[0] && !forged && !vault.voucherUsed(voucher.account, voucher.nonce)
            && voucher.amount <= outstanding && voucher.deadline >= block.timestamp;

        uint256 before = token.balanceOf(voucher.account);
        try vault.withdraw(voucher, abi.encodePacked(r, s, v)) {
            if (token.balanceOf(voucher.account) - before != voucher.amount) ++ghostMispaid;
            ghostWithdrawn += voucher.amount;
            uint256 count = ++ghostWithdrawals[voucher.account][voucher.nonce];
            if (count > ghostMaxWithdrawalsPerVoucher) ghostMaxWithdrawalsPerVoucher = count;
            usedAccounts.push(voucher.account);
            usedNonces.push(voucher.nonce);
            if (!valid) ++ghostUnexpectedSuccesses;
        } catch {
            if (valid) ++ghostUnexpectedReverts;
        }
    }

    function donateToVault(uint256 amount) external {
        amount = _bound(amount, 1, 100e18);
        token.mint(donor, amount);
        vm.prank(donor);
        token.transfer(address(vault), amount);
        ghostDonatedToVault += amount;
    }

    /* REGISTRY */

    function postBatch(uint256 idSeed, uint256 charged, uint256 reward, uint256 receiptCount, bytes32 fileHash)
        external
    {
        uint256 next = ghostPosts + 1;
        uint256 mode = idSeed % 10;
        uint256 batchId = mode == 0 ? ghostPosts : mode == 1 ? next + 1 + idSeed % 3 : mode == 2 ? idSeed : next;
        uint256 outstanding = vault.outstandingCredit();
        charged = _bound(charged, 0, outstanding + outstanding / 8);
        reward = reward % 9 == 0 ? charged + 1 : _bound(reward, 0, charged);
        receiptCount = receiptCount % 13 == 0 ? 0 : _bound(receiptCount, 1, 1e6);
        bytes32 root = keccak256(abi.encode("batch", idSeed, ghostPosts));
        bool valid = !paused[1] && (charged == 0 || !paused[0]) && batchId == next && receiptCount != 0
            && reward <= charged && charged <= outstanding;

        uint256 distributorBefore = token.balanceOf(address(distributor));
        uint256 treasuryBefore = token.balanceOf(treasury);
        vm.prank(settler);
        try registry.postBatch(batchId, root, receiptCount, charged, reward, fileHash, "ipfs://batch") {
            ghostRoot[batchId] = root;
            ++ghostPosts;
            ghostChainHead =
                keccak256(abi.encode(ghostChainHead, batchId, root, receiptCount, charged, reward, fileHash));
            ghostPaidOut += charged;
            ghostRewardFunded += reward;
            // Balances only grow here; `reward > charged` is checked first so that nothing on this path
            // can revert (a revert would undo the record of an unexpected success).
            if (token.balanceOf(address(distributor)) - distributorBefore != reward) ++ghostMispaid;
            if (reward > charged || token.balanceOf(treasury) - treasuryBefore != charged - reward) ++ghostMispaid;
            if (!valid) ++ghostUnexpectedSuccesses;
        } catch {
            if (valid) ++ghostUnexpectedReverts;
        }
    }

    /* REWARDS */

    function proposeRoot(uint256 sizeSeed, uint256 growth) external {
        if (pendingSize != 0 && sizeSeed % 4 != 0) return; // mostly let a pending root mature
        uint256 size = 2 + sizeSeed % 3;
        for (uint256 i; i < size; ++i) {
            proposed[i] += _bound(uint256(keccak256(abi.encode(growth, i))), 0, 20e18);
        }
        bytes32 root = _tree(size, proposed, 0, 0);
        vm.prank(proposer);
        try distributor.proposeRoot(root, bytes32(growth)) {
            pendingRoot = root;
            pendingAmounts = proposed;
            pendingSize = size;
            pendingValidAt = block.timestamp + distributor.timelock();
            if (paused[2]) ++ghostUnexpectedSuccesses;
        } catch {
            if (!paused[2]) ++ghostUnexpectedReverts;
        }
    }

    function acceptRoot(uint256 wait) external {
        vm.warp(block.timestamp + _bound(wait, 0, 2 days));
        bool valid = !paused[2] && pendingSize != 0 && block.timestamp >= pendingValidAt;
        try distributor.acceptRoot() {
            previousAmounts = acceptedAmounts;
            previousSize = acceptedSize;
            acceptedAmounts = pendingAmounts;
            acceptedSize = pendingSize;
            ghostAcceptedRoot = pendingRoot;
            pendingSize = 0;
            for (uint256 i; i < acceptedSize; ++i) {
                address account = claimants[i];
                if (acceptedAmounts[i] > ghostMaxAcceptedCumulative[account]) {
                    ghostMaxAcceptedCumulative[account] = acceptedAmounts[i];
                }
            }
            if (!valid) ++ghostUnexpectedSuccesses;
        } catch {
            if (valid) ++ghostUnexpectedReverts;
        }
    }

    function revokeRoot(uint256 seed) external {
        if (seed % 3 != 0) return; // revoke sparingly, so that roots get accepted
        bool valid = pendingSize != 0;
        vm.prank(admin);
        try distributor.revokePendingRoot() {
            pendingSize = 0;
            if (!valid) ++ghostUnexpectedSuccesses;
        } catch {
            if (valid) ++ghostUnexpectedReverts;
        }
    }

    /// @param mode 0–5: the account's own entry in the accepted root; 6–7: its entry in the previous
    /// accepted root (stale unless both trees are equal); 8–9: another account's entry and proof.
    function claim(uint256 accountSeed, uint256 otherSeed, uint8 mode) external {
        uint256 i = accountSeed % 4;
        mode %= 10;
        delete lastProof;
        uint256 amount;
        bytes32 treeRoot; // the root the presented (account, amount, proof) belongs to; 0 if none
        if (mode < 6 && i < acceptedSize) {
            treeRoot = _tree(acceptedSize, acceptedAmounts, i, 1);
            amount = acceptedAmounts[i];
        } else if (mode < 8 && i < previousSize) {
            treeRoot = _tree(previousSize, previousAmounts, i, 1);
            amount = previousAmounts[i];
        } else if (acceptedSize != 0) {
            uint256 j = (i + 1 + otherSeed % 3) % 4;
            if (j >= acceptedSize) j = 0;
            treeRoot = _tree(acceptedSize, acceptedAmounts, j, 1);
            amount = acceptedAmounts[j];
            if (j != i) treeRoot = bytes32(0); // another account's entry never proves `account`'s
        }
        bytes32[] memory proof = lastProof;
        bool inTree = treeRoot != bytes32(0) && treeRoot == ghostAcceptedRoot;
        address account = claimants[i];
        uint256 already = distributor.claimed(account);
        bool valid =
            !paused[2] && inTree && amount > already && amount - already <= token.balanceOf(address(distributor));

        uint256 before = token.balanceOf(account);
        try distributor.claim(account, amount, proof) returns (uint256 paid) {
            uint256 received = token.balanceOf(account) - before;
            ghostPaidTo[account] += received;
            if (paid != received || already + received != amount) ++ghostMispaid;
            if (!valid) ++ghostUnexpectedSuccesses;
        } catch {
            if (valid) ++ghostUnexpectedReverts;
        }
    }

    function donateToDistributor(uint256 amount) external {
        amount = _bound(amount, 1, 20e18);
        token.mint(donor, amount);
        vm.prank(donor);
        token.transfer(address(distributor), amount);
        ghostDonatedToDistributor += amount;
    }

    /* PAUSING */

    /// @notice Pauses (rarely: one call in six) or unpauses (whenever picked) the vault (0), the registry (1)
    /// or the distributor (2), so that the system runs unpaused most of the time.
    function togglePause(uint256 seed) external {
        uint256 which = seed % 3;
        if (!paused[which] && seed % 18 >= 3) return;
        address target = which == 0 ? address(vault) : which == 1 ? address(registry) : address(distributor);
        vm.prank(admin);
        (bool ok,) = target.call(abi.encodeWithSignature(paused[which] ? "unpause()" : "pause()"));
        if (!ok) ++ghostUnexpectedReverts;
        else paused[which] = !paused[which];
    }

    /* TREE */

    bytes32[] internal lastProof;

    /// @dev Hand-built tree over the first `size` (2–4) claimants, sorted-pair hashing as in
    /// `StandardMerkleTree`: 2 → H(l0,l1); 3 → H(H(l0,l1),l2); 4 → H(H(l0,l1),H(l2,l3)).
    /// With `withProof == 1`, stores the proof of leaf `index` in `lastProof`.
    function _tree(uint256 size, uint256[4] memory amounts, uint256 index, uint256 withProof)
        internal
        returns (bytes32 root)
    {
        bytes32[4] memory l;
        for (uint256 i; i < size; ++i) {
            l[i] = keccak256(bytes.concat(keccak256(abi.encode(claimants[i], amounts[i]))));
        }
        bytes32 n01 = Hashes.commutativeKeccak256(l[0], l[1]);
        bytes32 n23 = size == 4 ? Hashes.commutativeKeccak256(l[2], l[3]) : l[2];
        root = size == 2 ? n01 : Hashes.commutativeKeccak256(n01, n23);
        if (withProof == 0) return root;
        delete lastProof;
        if (index < 2) {
            lastProof.push(l[index ^ 1]);
            if (size > 2) lastProof.push(n23);
        } else {
            if (size == 4) lastProof.push(l[index ^ 1]);
            lastProof.push(n01);
        }
    }

    function sumPaidToClaimants() external view returns (uint256 sum) {
        for (uint256 i; i < 4; ++i) {
            sum += ghostPaidTo[claimants[i]];
        }
    }
}

/// @title BasisInvariants
/// @notice Invariants of the whole Basis system (token, vault, registry, distributor wired as the Ignition
/// module wires them) under random sequences of handler actions: the vault stays solvent with its credit
/// matching real token flows; no account is paid twice or beyond its largest accepted cumulative amount;
/// the distributor never pays more than it was funded; batches are consecutive and write-once; a voucher
/// nonce never pays twice; and the contracts revert exactly when they should.
contract BasisInvariants is Test {
    uint256 internal constant ATTESTER_KEY = 0xA77E57E5;

    DevCreditToken internal token;
    CreditVault internal vault;
    SettlementRegistry internal registry;
    RewardDistributor internal distributor;
    BasisHandler internal handler;
    address internal treasury = makeAddr("treasury");

    function setUp() public {
        address admin = makeAddr("admin");
        address settler = makeAddr("settler");
        address proposer = makeAddr("proposer");
        token = new DevCreditToken();
        distributor = new RewardDistributor(token, admin, proposer, 1 days);
        vault = new CreditVault(token, admin, address(distributor), treasury);
        registry = new SettlementRegistry(vault, admin, settler, vm.addr(ATTESTER_KEY));
        vm.prank(admin);
        vault.setSettlementRegistry(registry);

        address[4] memory roles = [admin, settler, proposer, treasury];
        BasisHandler h = handler = new BasisHandler(token, vault, registry, distributor, roles, ATTESTER_KEY);
        bytes4[10] memory actions = [
            h.deposit.selector, h.withdraw.selector, h.donateToVault.selector, h.postBatch.selector,
            h.proposeRoot.selector, h.acceptRoot.selector, h.revokeRoot.selector, h.claim.selector,
            h.donateToDistributor.selector, h.togglePause.selector
        ];
        bytes4[] memory selectors = new bytes4[](10);
        for (uint256 i; i < 10; ++i) {
            selectors[i] = actions[i];
        }
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// 1. The vault holds at least what it owes, and what it owes is exactly deposits − payouts − withdrawals.
    function invariant_VaultIsSolventAndCreditMatchesFlows() public view {
        uint256 owed = handler.ghostDeposited() - handler.ghostPaidOut() - handler.ghostWithdrawn();
        assertGe(token.balanceOf(address(vault)), vault.outstandingCredit(), "solvency");
        assertEq(vault.outstandingCredit(), owed, "outstanding credit");
        assertEq(token.balanceOf(address(vault)), owed + handler.ghostDonatedToVault(), "vault balance");
    }

    /// 2. No double claim: each account got exactly `claimed`, never above its largest accepted cumulative.
    function invariant_NoDoubleClaim() public view {
        assertEq(distributor.root(), handler.ghostAcceptedRoot(), "claimable root is the last accepted");
        for (uint256 i; i < 4; ++i) {
            address account = handler.claimants(i);
            uint256 claimed = distributor.claimed(account);
            assertEq(handler.ghostPaidTo(account), claimed, "paid == claimed");
            assertEq(token.balanceOf(account), claimed, "balance == claimed");
            assertLe(claimed, handler.ghostMaxAcceptedCumulative(account), "claimed <= accepted cumulative");
        }
    }

    /// 3. The distributor never pays more than it was funded (reward shares + donations), and the
    /// treasury got exactly the non-reward share of every batch.
    function invariant_TotalClaimedWithinFunding() public view {
        uint256 funded = handler.ghostRewardFunded() + handler.ghostDonatedToDistributor();
        uint256 totalClaimed = handler.sumPaidToClaimants();
        assertLe(totalClaimed, funded, "claimed <= funded");
        assertEq(token.balanceOf(address(distributor)), funded - totalClaimed, "distributor balance");
        assertEq(token.balanceOf(treasury), handler.ghostPaidOut() - handler.ghostRewardFunded(), "treasury");
    }

    /// 4. Batch ids are consecutive from 1, every posted root is unchanged, nothing exists past the
    /// latest, and the chain head matches the head recomputed from every successful post.
    function invariant_BatchesAreConsecutiveAndWriteOnce() public view {
        uint256 latest = registry.latestBatchId();
        assertEq(latest, handler.ghostPosts(), "latest == successful posts");
        for (uint256 id = 1; id <= latest; ++id) {
            assertEq(registry.batchRoot(id), handler.ghostRoot(id), "root unchanged");
        }
        assertEq(registry.batchRoot(latest + 1), bytes32(0), "nothing past latest");
        assertEq(registry.batchRoot(0), bytes32(0), "no batch 0");
        assertEq(registry.chainHead(), handler.ghostChainHead(), "chain head");
    }

    /// 5. A voucher (account, nonce) never pays twice.
    function invariant_VoucherNeverPaysTwice() public view {
        assertLe(handler.ghostMaxWithdrawalsPerVoucher(), 1);
    }

    /// 6. Invalid actions (wrong id, replayed or forged voucher, foreign or stale proof, early accept,
    /// payout above credit) always revert; valid ones never do; every success moves exactly its amount.
    function invariant_ContractsRevertExactlyWhenTheyShould() public view {
        assertEq(handler.ghostUnexpectedSuccesses(), 0, "invalid action succeeded");
        assertEq(handler.ghostUnexpectedReverts(), 0, "valid action reverted");
        assertEq(handler.ghostMispaid(), 0, "wrong amount moved");
    }
}

