/**
 * Merkle proofs checked the way the contracts check them (OpenZeppelin `MerkleProof`: sorted pairs,
 * double-hashed `abi.encode` leaves), independently of the library that built the trees.
 */
import { type Address, concat, encodeAbiParameters, type Hex, hexToBigInt, keccak256 } from "viem";

/** `keccak256(bytes.concat(keccak256(abi.encode(receiptHash))))`, as `SettlementRegistry.receiptLeaf`. */
export function receiptLeaf(receiptHash: Hex): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: "bytes32" }], [receiptHash])));
}

/** `keccak256(bytes.concat(keccak256(abi.encode(account, cumulativeAmount))))`, as `RewardDistributor.rewardLeaf`. */
export function rewardLeaf(account: Address, cumulativeAmount: bigint): Hex {
  return keccak256(
    keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [account, cumulativeAmount])),
  );
}

/**
 * The root a proof leads to from a leaf.
 * @example processProof(receiptLeaf(hash), proof) === onChainRoot
 */
export function processProof(leaf: Hex, proof: readonly Hex[]): Hex {
  let node = leaf;
  for (const sibling of proof) {
    node =
      hexToBigInt(node) < hexToBigInt(sibling)
        ? keccak256(concat([node, sibling]))
        : keccak256(concat([sibling, node]));
  }
  return node;
}

/** Whether `proof` leads from `leaf` to `root`. */
export function proves(leaf: Hex, proof: readonly Hex[], root: Hex): boolean {
  return processProof(leaf, proof).toLowerCase() === root.toLowerCase();
}
