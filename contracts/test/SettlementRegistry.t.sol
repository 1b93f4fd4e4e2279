// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {CreditVault} from "../CreditVault.sol";
import {SettlementRegistry} from "../SettlementRegistry.sol";
import {DevCreditToken} from "../dev/DevCreditToken.sol";
import {ISettlementRegistry} from "../interfaces/ISettlementRegistry.sol";

/// @title SettlementRegistryTest
/// @notice Fuzz specification of the SettlementRegistry, wired to a funded CreditVault:
/// - batch ids are consecutive from 1: skipping one reverts `BatchIdNotNext`, repeating one
///   reverts `BatchAlreadyPosted`, id 0 `BatchIdNotNext`; a posted root is written once and never changes;
/// - `chainHead` equals the hash chain recomputed independently from the posted fields;
/// - `verifyReceipt` accepts exactly the receipts of a hand-built `StandardMerkleTree`-style tree
///   (double-hashed leaves, sorted-pair nodes) under the batch they were posted in;
/// - only the settler posts; malformed batches (zero root, no receipts, reward > charged) revert.
contract SettlementRegistryTest is Test {
    uint256 internal constant FUNDED = 1e30;

    DevCreditToken internal token;
    CreditVault internal vault;
    SettlementRegistry internal registry;

    address internal admin = makeAddr("admin");
    address internal settler = makeAddr("settler");
    address internal attester = makeAddr("attester");

    function setUp() public {
        token = new DevCreditToken();
        vault = new CreditVault(token, admin, makeAddr("distributor"), makeAddr("treasury"));
        registry = new SettlementRegistry(vault, admin, settler, attester);
        vm.prank(admin);
        vault.setSettlementRegistry(registry);

        address payer = makeAddr("payer");
        token.mint(payer, FUNDED);
        vm.startPrank(payer);
        token.approve(address(vault), FUNDED);
        vault.deposit(payer, FUNDED);
        vm.stopPrank();
    }

    /* HELPERS */

    function _root(uint256 seed) internal pure returns (bytes32 root) {
        root = keccak256(abi.encode("root", seed));
    }

    function _root(uint256 seed, uint256 id) internal pure returns (bytes32 root) {
        root = keccak256(abi.encode("root", seed, id));
    }

    function _post(uint256 batchId, bytes32 root) internal {
        vm.prank(settler);
        registry.postBatch(batchId, root, 1, 0, 0, bytes32(0), "");
    }

    function _leaf(bytes32 receiptHash) internal pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(receiptHash))));
    }

    function _proof1(bytes32 a) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](1);
        proof[0] = a;
    }

    function _proof2(bytes32 a, bytes32 b) internal pure returns (bytes32[] memory proof) {
        proof = new bytes32[](2);
        proof[0] = a;
        proof[1] = b;
    }

    /* IDS AND WRITE-ONCE */

    function testFuzz_BatchIdsAreConsecutiveFromOne(uint8 count, uint256 seed) public {
        count = uint8(bound(count, 1, 12));
        for (uint256 id = 1; id <= count; ++id) {
            _post(id, _root(seed, id));
            assertEq(registry.latestBatchId(), id);
        }
        for (uint256 id = 1; id <= count; ++id) {
            assertEq(registry.batchRoot(id), _root(seed, id));
        }
        assertEq(registry.batchRoot(uint256(count) + 1), bytes32(0), "nothing beyond the latest");
        assertEq(registry.batchRoot(0), bytes32(0), "no batch 0");
    }

    function testFuzz_PostBatchRevertsWhenIdSkipped(uint8 posted, uint256 batchId) public {
        posted = uint8(bound(posted, 0, 5));
        for (uint256 id = 1; id <= posted; ++id) {
            _post(id, _root(id));
        }
        batchId = bound(batchId, uint256(posted) + 2, type(uint256).max);

        vm.prank(settler);
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.BatchIdNotNext.selector, batchId, posted + 1));
        registry.postBatch(batchId, _root(999), 1, 0, 0, bytes32(0), "");
        assertEq(registry.latestBatchId(), posted);
        assertEq(registry.batchRoot(batchId), bytes32(0));
    }

    function testFuzz_PostBatchRevertsWhenIdRepeated(uint8 posted, uint256 batchId, bytes32 otherRoot) public {
        posted = uint8(bound(posted, 1, 6));
        vm.assume(otherRoot != bytes32(0));
        for (uint256 id = 1; id <= posted; ++id) {
            _post(id, _root(id));
        }
        batchId = bound(batchId, 1, posted);

        vm.prank(settler);
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.BatchAlreadyPosted.selector, batchId));
        registry.postBatch(batchId, otherRoot, 1, 1, 0, bytes32(0), "");

        // Write-once: every root, the head and the vault are unchanged.
        for (uint256 id = 1; id <= posted; ++id) {
            assertEq(registry.batchRoot(id), _root(id));
        }
        assertEq(registry.latestBatchId(), posted);
        assertEq(vault.outstandingCredit(), FUNDED);
    }

    function testFuzz_PostBatchRevertsForIdZero(uint8 posted) public {
        posted = uint8(bound(posted, 0, 4));
        for (uint256 id = 1; id <= posted; ++id) {
            _post(id, _root(id));
        }
        vm.prank(settler);
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.BatchIdNotNext.selector, 0, posted + 1));
        registry.postBatch(0, _root(0), 1, 0, 0, bytes32(0), "");
        assertEq(registry.batchRoot(0), bytes32(0));
    }

    function testFuzz_PostBatchRevertsForNonSettler(address caller) public {
        vm.assume(caller != settler);
        bytes32 role = registry.SETTLER_ROLE();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        registry.postBatch(1, _root(1), 1, 0, 0, bytes32(0), "");
    }

    function testFuzz_PostBatchRevertsForMalformedBatch(uint256 receiptCount, uint256 charged, uint256 reward)
        public
    {
        receiptCount = bound(receiptCount, 1, type(uint256).max);
        charged = bound(charged, 0, FUNDED - 1);
        reward = bound(reward, charged + 1, type(uint256).max);
        vm.startPrank(settler);
        vm.expectRevert(ISettlementRegistry.ZeroRoot.selector);
        registry.postBatch(1, bytes32(0), receiptCount, charged, 0, bytes32(0), "");
        vm.expectRevert(ISettlementRegistry.EmptyBatch.selector);
        registry.postBatch(1, _root(1), 0, charged, 0, bytes32(0), "");
        vm.expectRevert(abi.encodeWithSelector(ISettlementRegistry.RewardExceedsCharged.selector, reward, charged));
        registry.postBatch(1, _root(1), receiptCount, charged, reward, bytes32(0), "");
        vm.stopPrank();
        assertEq(registry.latestBatchId(), 0);
    }

    /* CHAIN HEAD */

    function testFuzz_ChainHeadRecomputesFromPostedFields(
        uint256 seed,
        uint8 count,
        uint96 charged,
        uint96 reward,
        uint32 receipts
    ) public {
        count = uint8(bound(count, 1, 8));
        bytes32 head;
        bytes32 previousRoot;
        for (uint256 id = 1; id <= count; ++id) {
            bytes32 root = _root(seed, id);
            uint256 batchCharged = bound(uint256(keccak256(abi.encode(charged, id))), 0, FUNDED / 16);
            uint256 batchReward = bound(uint256(keccak256(abi.encode(reward, id))), 0, batchCharged);
            uint256 receiptCount = bound(uint256(receipts) + id, 1, type(uint32).max);
            bytes32 fileHash = keccak256(abi.encode("file", seed, id));
            head = keccak256(abi.encode(head, id, root, receiptCount, batchCharged, batchReward, fileHash));

            vm.expectEmit(address(registry));
            emit ISettlementRegistry.BatchPosted(
                id, root, previousRoot, head, receiptCount, batchCharged, batchReward, fileHash, "ipfs://batch"
            );
            vm.prank(settler);
            registry.postBatch(id, root, receiptCount, batchCharged, batchReward, fileHash, "ipfs://batch");

            assertEq(registry.chainHead(), head, "chain head");
            previousRoot = root;
        }
    }

    /* RECEIPT PROOFS */

    function testFuzz_VerifyReceiptInTwoLeafTree(bytes32 a, bytes32 b, bytes32 outsider) public {
        vm.assume(a != b && outsider != a && outsider != b);
        bytes32 root = Hashes.commutativeKeccak256(_leaf(a), _leaf(b));
        _post(1, root);

        assertTrue(registry.verifyReceipt(1, a, _proof1(_leaf(b))));
        assertTrue(registry.verifyReceipt(1, b, _proof1(_leaf(a))));
        assertFalse(registry.verifyReceipt(1, outsider, _proof1(_leaf(b))), "outsider");
        assertFalse(registry.verifyReceipt(1, a, _proof1(_leaf(a))), "wrong sibling");
        assertFalse(registry.verifyReceipt(2, a, _proof1(_leaf(b))), "unposted batch");
        assertFalse(registry.verifyReceipt(0, a, _proof1(_leaf(b))), "batch 0");
        // The raw (single-hashed) value is not the leaf: no second-preimage shortcuts.
        assertFalse(registry.verifyReceipt(1, a, _proof1(keccak256(abi.encode(b)))), "single hash");
    }

    function testFuzz_VerifyReceiptInFourLeafTree(bytes32[4] memory receipts, uint8 index, bytes32 outsider)
        public
    {
        for (uint256 i; i < 4; ++i) {
            vm.assume(receipts[i] != outsider);
            for (uint256 j; j < i; ++j) {
                vm.assume(receipts[i] != receipts[j]);
            }
        }
        bytes32[4] memory leaves;
        for (uint256 i; i < 4; ++i) {
            leaves[i] = _leaf(receipts[i]);
        }
        bytes32 left = Hashes.commutativeKeccak256(leaves[0], leaves[1]);
        bytes32 right = Hashes.commutativeKeccak256(leaves[2], leaves[3]);
        bytes32 root = Hashes.commutativeKeccak256(left, right);
        assertEq(registry.receiptLeaf(receipts[0]), leaves[0], "leaf encoding");
        _post(1, _root(1));
        _post(2, root);

        uint256 k = index % 4;
        bytes32[] memory proof = _proof2(leaves[k ^ 1], k < 2 ? right : left);
        assertTrue(registry.verifyReceipt(2, receipts[k], proof), "member");
        assertFalse(registry.verifyReceipt(1, receipts[k], proof), "other batch");
        assertFalse(registry.verifyReceipt(2, outsider, proof), "outsider");
        assertFalse(registry.verifyReceipt(2, receipts[k ^ 1], proof), "sibling with own proof");
        assertFalse(registry.verifyReceipt(2, receipts[k], _proof1(leaves[k ^ 1])), "truncated proof");
    }

    /* ATTESTER */

    function testFuzz_OnlyAdminRotatesAttester(address caller, address newAttester) public {
        vm.assume(newAttester != address(0) && caller != admin);
        bytes32 role = registry.DEFAULT_ADMIN_ROLE();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, role));
        registry.setAttester(newAttester);

        vm.prank(admin);
        registry.setAttester(newAttester);
        assertEq(registry.attester(), newAttester);
    }
}
