// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test} from "forge-std/Test.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

import {RewardDistributor} from "../RewardDistributor.sol";
import {DevCreditToken} from "../dev/DevCreditToken.sol";
import {IRewardDistributor} from "../interfaces/IRewardDistributor.sol";

/// @title RewardDistributorTest
/// @notice Fuzz specification of the RewardDistributor's cumulative merkle claims, on hand-built
/// `StandardMerkleTree`-style trees of four `(account, cumulativeAmount)` leaves:
/// - a claim pays `cumulative − claimed` to the account, whoever submits it;
/// - claiming twice (two roots, or one root twice) pays exactly what claiming once with the larger
///   cumulative amount pays;
/// - a proof only works for its own (account, amount): another account's proof reverts `InvalidProof`;
/// - a root is claimable only after its timelock, a revoked root never, and a claim never exceeds funding;
/// - pausing stops claims (`EnforcedPause`) and root changes without losing the accepted root;
/// - only the proposer proposes, only the guardian revokes.
contract RewardDistributorTest is Test {
    uint256 internal constant TIMELOCK = 1 days;
    uint256 internal constant MAX_AMOUNT = 1e36;

    DevCreditToken internal token;
    RewardDistributor internal distributor;

    address internal admin = makeAddr("admin");
    address internal proposer = makeAddr("proposer");
    address[4] internal accounts;

    function setUp() public {
        token = new DevCreditToken();
        distributor = _newDistributor();
        for (uint256 i; i < 4; ++i) {
            accounts[i] = makeAddr(string.concat("claimant", vm.toString(i)));
        }
    }

    /* HELPERS */

    function _newDistributor() internal returns (RewardDistributor d) {
        d = new RewardDistributor(token, admin, proposer, TIMELOCK);
        token.mint(address(d), MAX_AMOUNT * 4);
    }

    function _leaves(uint256[4] memory amounts) internal view returns (bytes32[4] memory leaves) {
        for (uint256 i; i < 4; ++i) {
            leaves[i] = keccak256(bytes.concat(keccak256(abi.encode(accounts[i], amounts[i]))));
        }
    }

    function _tree(uint256[4] memory amounts) internal view returns (bytes32 root, bytes32[][4] memory proofs) {
        bytes32[4] memory leaves = _leaves(amounts);
        bytes32 left = Hashes.commutativeKeccak256(leaves[0], leaves[1]);
        bytes32 right = Hashes.commutativeKeccak256(leaves[2], leaves[3]);
        root = Hashes.commutativeKeccak256(left, right);
        for (uint256 i; i < 4; ++i) {
            proofs[i] = new bytes32[](2);
            proofs[i][0] = leaves[i ^ 1];
            proofs[i][1] = i < 2 ? right : left;
        }
    }

    /// @dev A tree giving `amount` to account 0 and fixed amounts to the others.
    function _treeFor(uint256 amount) internal view returns (bytes32 root, bytes32[] memory proof) {
        bytes32[][4] memory proofs;
        (root, proofs) = _tree([amount, 1, 2, 3]);
        proof = proofs[0];
    }

    function _install(RewardDistributor d, bytes32 root) internal {
        vm.prank(proposer);
        d.proposeRoot(root, keccak256(abi.encode(root)));
        vm.warp(block.timestamp + d.timelock());
        d.acceptRoot();
        assertEq(d.root(), root);
    }

    /* CLAIMS */

    function testFuzz_ClaimPaysCumulativeMinusClaimed(uint256 first, uint256 extra, address caller) public {
        first = bound(first, 1, MAX_AMOUNT);
        extra = bound(extra, 1, MAX_AMOUNT);
        (bytes32 root1, bytes32[] memory proof1) = _treeFor(first);
        _install(distributor, root1);

        vm.prank(caller);
        assertEq(distributor.claim(accounts[0], first, proof1), first, "first claim");
        assertEq(token.balanceOf(accounts[0]), first);

        (bytes32 root2, bytes32[] memory proof2) = _treeFor(first + extra);
        _install(distributor, root2);
        vm.prank(caller);
        assertEq(distributor.claim(accounts[0], first + extra, proof2), extra, "pays only the difference");
        assertEq(token.balanceOf(accounts[0]), first + extra, "paid to the account, not the caller");
        assertEq(distributor.claimed(accounts[0]), first + extra);
    }

    /// @dev Formal rule: claim(a) then claim(b) leaves the same state as a single claim(max(a, b)).
    function testFuzz_ClaimingTwiceEqualsClaimingOnceWithTheLarger(uint256 a, uint256 b) public {
        a = bound(a, 1, MAX_AMOUNT);
        b = bound(b, 1, MAX_AMOUNT);
        RewardDistributor twice = distributor;
        RewardDistributor once = _newDistributor();
        (bytes32 rootA, bytes32[] memory proofA) = _treeFor(a);
        (bytes32 rootB, bytes32[] memory proofB) = _treeFor(b);

        _install(twice, rootA);
        twice.claim(accounts[0], a, proofA);
        vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.NothingToClaim.selector, accounts[0], a, a));
        twice.claim(accounts[0], a, proofA); // same root again: nothing
        _install(twice, rootB);
        if (b <= a) {
            vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.NothingToClaim.selector, accounts[0], b, a));
        }
        twice.claim(accounts[0], b, proofB);

        uint256 larger = a > b ? a : b;
        (bytes32 rootMax, bytes32[] memory proofMax) = _treeFor(larger);
        _install(once, rootMax);
        once.claim(accounts[0], larger, proofMax);

        assertEq(twice.claimed(accounts[0]), once.claimed(accounts[0]), "claimed");
        assertEq(twice.claimed(accounts[0]), larger);
        assertEq(token.balanceOf(address(twice)), token.balanceOf(address(once)), "paid out");
        assertEq(token.balanceOf(accounts[0]), 2 * larger, "account received larger from each");
    }

    function testFuzz_ClaimRevertsForProofOfAnotherAccount(uint256[4] memory amounts, uint8 owner, uint8 other)
        public
    {
        for (uint256 k; k < 4; ++k) {
            amounts[k] = bound(amounts[k], 1, MAX_AMOUNT);
        }
        uint256 i = owner % 4;
        uint256 j = (i + 1 + other % 3) % 4;
        (bytes32 root, bytes32[][4] memory proofs) = _tree(amounts);
        _install(distributor, root);

        vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.InvalidProof.selector, accounts[j], amounts[i]));
        distributor.claim(accounts[j], amounts[i], proofs[i]);
        vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.InvalidProof.selector, accounts[j], amounts[j]));
        distributor.claim(accounts[j], amounts[j], proofs[i]);

        distributor.claim(accounts[i], amounts[i], proofs[i]);
        assertEq(token.balanceOf(accounts[j]), 0);
        assertEq(token.balanceOf(accounts[i]), amounts[i]);
    }

    function testFuzz_ClaimRevertsForAmountNotInTree(uint256 amount, uint256 claimedAmount) public {
        amount = bound(amount, 1, MAX_AMOUNT);
        claimedAmount = bound(claimedAmount, 1, MAX_AMOUNT);
        vm.assume(claimedAmount != amount);
        (bytes32 root, bytes32[] memory proof) = _treeFor(amount);
        _install(distributor, root);
        vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.InvalidProof.selector, accounts[0], claimedAmount));
        distributor.claim(accounts[0], claimedAmount, proof);
    }

    function testFuzz_ClaimNeverExceedsFunding(uint256 funding, uint256 amount) public {
        amount = bound(amount, 1, MAX_AMOUNT);
        funding = bound(funding, 0, amount - 1);
        RewardDistributor poor = new RewardDistributor(token, admin, proposer, TIMELOCK);
        token.mint(address(poor), funding);
        (bytes32 root, bytes32[] memory proof) = _treeFor(amount);
        _install(poor, root);

        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, address(poor), funding, amount)
        );
        poor.claim(accounts[0], amount, proof);
        assertEq(poor.claimed(accounts[0]), 0, "an unfunded claim records nothing");
        token.mint(address(poor), amount - funding);
        poor.claim(accounts[0], amount, proof);
        assertEq(token.balanceOf(address(poor)), 0);
    }

    function testFuzz_ClaimRevertsBeforeAnyRoot(uint256 amount) public {
        (, bytes32[] memory proof) = _treeFor(amount);
        vm.expectRevert(IRewardDistributor.NoRoot.selector);
        distributor.claim(accounts[0], amount, proof);
    }

    function testFuzz_PauseStopsClaimsAndKeepsTheRoot(uint256 amount, bool rootFirst) public {
        amount = bound(amount, 1, MAX_AMOUNT);
        (bytes32 root, bytes32[] memory proof) = _treeFor(amount);
        if (rootFirst) _install(distributor, root);
        vm.prank(admin);
        distributor.pause();

        vm.expectRevert(Pausable.EnforcedPause.selector);
        distributor.claim(accounts[0], amount, proof);
        vm.prank(proposer);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        distributor.proposeRoot(root, bytes32(0));
        assertEq(distributor.root(), rootFirst ? root : bytes32(0), "root kept while paused");

        vm.prank(admin);
        distributor.unpause();
        if (!rootFirst) {
            vm.expectRevert(IRewardDistributor.NoRoot.selector);
            distributor.claim(accounts[0], amount, proof);
            _install(distributor, root);
        }
        assertEq(distributor.claim(accounts[0], amount, proof), amount, "claims resume");
    }

    /* ROOTS AND TIMELOCK */

    function testFuzz_AcceptRootRespectsTimelock(uint256 timelock, uint256 early, uint256 amount) public {
        timelock = bound(timelock, 1, 365 days);
        early = bound(early, 1, timelock);
        amount = bound(amount, 1, MAX_AMOUNT);
        vm.prank(admin);
        distributor.setTimelock(timelock);
        (bytes32 root, bytes32[] memory proof) = _treeFor(amount);
        vm.prank(proposer);
        distributor.proposeRoot(root, bytes32(0));
        uint256 validAt = block.timestamp + timelock;

        vm.warp(validAt - early);
        vm.expectRevert(
            abi.encodeWithSelector(IRewardDistributor.TimelockNotExpired.selector, validAt, validAt - early)
        );
        distributor.acceptRoot();
        vm.expectRevert(IRewardDistributor.NoRoot.selector);
        distributor.claim(accounts[0], amount, proof);

        vm.warp(validAt);
        distributor.acceptRoot();
        assertEq(distributor.claim(accounts[0], amount, proof), amount);
    }

    function testFuzz_TimelockChangeAppliesOnlyToLaterProposals(uint256 newTimelock) public {
        newTimelock = bound(newTimelock, TIMELOCK + 1, 365 days);
        (bytes32 root,) = _treeFor(1);
        vm.prank(proposer);
        distributor.proposeRoot(root, bytes32(0));
        vm.prank(admin);
        distributor.setTimelock(newTimelock);
        vm.warp(block.timestamp + TIMELOCK);
        distributor.acceptRoot(); // proposed under the old timelock
        assertEq(distributor.root(), root);
    }

    function testFuzz_ProposingReplacesPendingAndRestartsClock(uint256 wait, uint256 a, uint256 b) public {
        wait = bound(wait, 1, TIMELOCK);
        a = bound(a, 1, MAX_AMOUNT);
        b = bound(b, 1, MAX_AMOUNT);
        vm.assume(a != b);
        (bytes32 rootA,) = _treeFor(a);
        (bytes32 rootB,) = _treeFor(b);
        vm.prank(proposer);
        distributor.proposeRoot(rootA, bytes32(0));
        vm.warp(block.timestamp + wait);
        vm.prank(proposer);
        distributor.proposeRoot(rootB, bytes32(0));
        uint256 validAt = block.timestamp + TIMELOCK;

        vm.warp(validAt - 1);
        vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.TimelockNotExpired.selector, validAt, validAt - 1));
        distributor.acceptRoot();
        vm.warp(validAt);
        distributor.acceptRoot();
        assertEq(distributor.root(), rootB, "the replacement, never the replaced root");
    }

    function testFuzz_RevokedRootIsNeverAccepted(uint256 oldAmount, uint256 newAmount, uint256 later) public {
        oldAmount = bound(oldAmount, 1, MAX_AMOUNT);
        newAmount = bound(newAmount, oldAmount + 1, MAX_AMOUNT + 1);
        later = bound(later, 0, 3650 days);
        (bytes32 oldRoot, bytes32[] memory oldProof) = _treeFor(oldAmount);
        (bytes32 newRoot, bytes32[] memory newProof) = _treeFor(newAmount);
        _install(distributor, oldRoot);
        vm.prank(proposer);
        distributor.proposeRoot(newRoot, bytes32(0));

        vm.prank(admin); // the guardian
        distributor.revokePendingRoot();
        vm.warp(block.timestamp + TIMELOCK + later);
        vm.expectRevert(IRewardDistributor.NoPendingRoot.selector);
        distributor.acceptRoot();

        vm.expectRevert(abi.encodeWithSelector(IRewardDistributor.InvalidProof.selector, accounts[0], newAmount));
        distributor.claim(accounts[0], newAmount, newProof);
        assertEq(distributor.claim(accounts[0], oldAmount, oldProof), oldAmount, "the old root still pays");
    }

    function testFuzz_OnlyGuardianRevokesAndOnlyProposerProposes(address caller, bytes32 root) public {
        vm.assume(caller != admin && caller != proposer && root != bytes32(0));
        bytes32 proposerRole = distributor.PROPOSER_ROLE();
        bytes32 guardianRole = distributor.GUARDIAN_ROLE();

        vm.prank(caller);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, proposerRole)
        );
        distributor.proposeRoot(root, bytes32(0));

        vm.prank(proposer);
        distributor.proposeRoot(root, bytes32(0));
        vm.prank(caller);
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, caller, guardianRole)
        );
        distributor.revokePendingRoot();

        (bytes32 pending,,) = distributor.pendingRoot();
        assertEq(pending, root, "still pending");
    }
}
