// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {Test} from "forge-std/Test.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {ICreditVault} from "../interfaces/ICreditVault.sol";
import {RewardDistributor} from "../RewardDistributor.sol";
import {SettlementRegistry} from "../SettlementRegistry.sol";

/// @title MerkleVectorsTest
/// @notice Pins the Solidity side of the leaf encodings to the trees that `@openzeppelin/merkle-tree`
/// builds in TypeScript (test/vectors/merkle.json, written by scripts/make-merkle-vectors.ts): every
/// receipt proof verifies under `SettlementRegistry.receiptLeaf`, every reward proof under
/// `RewardDistributor.rewardLeaf`, and no proof verifies a neighbour's leaf.
contract MerkleVectorsTest is Test {
    string internal json;
    SettlementRegistry internal registry;
    RewardDistributor internal distributor;

    function setUp() public {
        json = vm.readFile("test/vectors/merkle.json");
        // Only the pure leaf functions are used: the vault and token addresses are placeholders.
        registry = new SettlementRegistry(ICreditVault(address(0xBEEF)), address(this), address(this), address(this));
        distributor = new RewardDistributor(IERC20(address(0xBEEF)), address(this), address(this), 0);
    }

    function test_EveryReceiptProofVerifiesWithTheRegistryLeaf() public view {
        bytes32 root = vm.parseJsonBytes32(json, ".receipts.root");
        bytes32[] memory hashes = vm.parseJsonBytes32Array(json, ".receipts.hashes");
        assertEq(hashes.length, 7);
        for (uint256 i = 0; i < hashes.length; i++) {
            bytes32[] memory proof = vm.parseJsonBytes32Array(json, _path(".receipts.proofs", i));
            bytes32 leaf = registry.receiptLeaf(hashes[i]);
            assertTrue(MerkleProof.verify(proof, root, leaf), "receipt proof");
            assertFalse(MerkleProof.verify(proof, root, keccak256(abi.encode(hashes[i]))), "single-hashed leaf");
        }
    }

    function test_EveryRewardProofVerifiesWithTheDistributorLeaf() public view {
        bytes32 root = vm.parseJsonBytes32(json, ".rewards.root");
        address[] memory accounts = vm.parseJsonAddressArray(json, ".rewards.accounts");
        string[] memory amounts = vm.parseJsonStringArray(json, ".rewards.amounts");
        assertEq(accounts.length, 5);
        for (uint256 i = 0; i < accounts.length; i++) {
            uint256 amount = vm.parseUint(amounts[i]);
            bytes32[] memory proof = vm.parseJsonBytes32Array(json, _path(".rewards.proofs", i));
            bytes32 leaf = distributor.rewardLeaf(accounts[i], amount);
            assertTrue(MerkleProof.verify(proof, root, leaf), "reward proof");
            assertFalse(MerkleProof.verify(proof, root, distributor.rewardLeaf(accounts[i], amount + 1)), "other amount");
        }
    }

    function _path(string memory base, uint256 i) private pure returns (string memory) {
        return string.concat(base, "[", vm.toString(i), "]");
    }
}
