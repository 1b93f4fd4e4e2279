/**
 * Gas of the Basis entry points users pay for, measured on Hardhat's simulated chain (EDR) with the
 * contracts deployed by the real Ignition module. Shared by `npm run gas` (which writes
 * docs/benchmarks.md) and the test that holds the budgets.
 */
import type { NetworkConnection } from "hardhat/types/network";
import { type Address, concat, encodeAbiParameters, type Hex, keccak256, maxUint256, parseEther, toHex } from "viem";
import BasisLocal from "../../ignition/modules/BasisLocal.js";
import { VOUCHER_TYPES, voucherDomain } from "../../protocol/voucher.js";

/** One measured transaction. */
export type GasRow = { name: string; gas: bigint; calldataBytes: number; calldataGas: bigint; note: string };

/** Calldata gas of a transaction input: 4 per zero byte, 16 per non-zero byte (EIP-2028). */
export function calldataGas(input: Hex): bigint {
  let total = 0n;
  for (let i = 2; i < input.length; i += 2) total += input.slice(i, i + 2) === "00" ? 4n : 16n;
  return total;
}

const TIMELOCK = 60n;
const URI = "https://gateway.basis.example/api/settlement/batches/000002.json";

/** Sorted-pair keccak, as OpenZeppelin's MerkleProof and StandardMerkleTree hash inner nodes. */
function hashPair(a: Hex, b: Hex): Hex {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** The StandardMerkleTree leaf of a reward entry. */
function rewardLeaf(account: Address, amount: bigint): Hex {
  return keccak256(keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [account, amount])));
}

/**
 * A proof of depth `depth` for one reward leaf and the root it proves: the position of one account in a
 * tree of 2^depth accounts, whose other subtrees are summarized by their (here pseudo-random) hashes.
 * The contract sees exactly what it would see for a real tree of that size.
 */
export function deepRewardProof(account: Address, amount: bigint, depth: number, salt: number) {
  const proof: Hex[] = [];
  let node = rewardLeaf(account, amount);
  for (let i = 0; i < depth; i++) {
    const sibling = keccak256(toHex(`sibling-${salt}-${i}`));
    proof.push(sibling);
    node = hashPair(node, sibling);
  }
  return { root: node, proof };
}

/** Runs every scenario on a fresh simulated chain and returns the gas of each transaction. */
export async function measureGas(connection: NetworkConnection): Promise<GasRow[]> {
  const { viem, ignition, networkHelpers } = connection;
  const [admin, alice, bob, fresh, attester] = await viem.getWalletClients();
  if (!admin || !alice || !bob || !fresh || !attester) throw new Error("need 5 accounts");
  const publicClient = await viem.getPublicClient();
  const { creditToken, creditVault, settlementRegistry, rewardDistributor } = await ignition.deploy(BasisLocal, {
    parameters: { BasisLocal: { rewardTimelock: TIMELOCK, attester: attester.account.address } },
  });
  const rows: GasRow[] = [];
  const record = async (name: string, note: string, hash: Hex) => {
    const receipt = await publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${name} reverted`);
    const tx = await publicClient.getTransaction({ hash });
    rows.push({
      name,
      gas: receipt.gasUsed,
      calldataBytes: (tx.input.length - 2) / 2,
      calldataGas: calldataGas(tx.input),
      note,
    });
  };
  const as = <T>(client: { account: { address: Address } }) => ({ account: client.account }) as T;

  // Deposits.
  for (const user of [alice, bob]) {
    await creditToken.write.mint([user.account.address, parseEther("1000000")]);
    await creditToken.write.approve([creditVault.address, maxUint256], as(user));
  }
  await record(
    "deposit (first ever)",
    "empty vault: vault balance and outstanding credit go 0 → non-zero",
    await creditVault.write.deposit([alice.account.address, parseEther("1000")], as(alice)),
  );
  await record(
    "deposit",
    "steady state, unlimited approval; bob pays for alice",
    await creditVault.write.deposit([alice.account.address, parseEther("250")], as(bob)),
  );
  await creditToken.write.approve([creditVault.address, parseEther("250")], as(bob));
  await record(
    "deposit (exact approval)",
    "steady state; the allowance is spent to zero",
    await creditVault.write.deposit([bob.account.address, parseEther("250")], as(bob)),
  );

  // Batches: the first pays the treasury and distributor from zero balances; then steady state.
  const batch = async (id: bigint, receipts: bigint) =>
    settlementRegistry.write.postBatch([
      id,
      keccak256(toHex(`root-${id}`)),
      receipts,
      parseEther("10"),
      parseEther("2"),
      keccak256(toHex(`file-${id}`)),
      URI,
    ]);
  await record("postBatch (first)", "10 receipts; payout to a fresh treasury and distributor", await batch(1n, 10n));
  await record("postBatch (10 receipts)", "steady state, payout included", await batch(2n, 10n));
  await record("postBatch (10,000,000 receipts)", "steady state, payout included", await batch(3n, 10_000_000n));

  // Claims on a tree of 2^20 accounts (20 proof elements).
  const account = fresh.account.address;
  const first = deepRewardProof(account, parseEther("1"), 20, 1);
  await rewardDistributor.write.proposeRoot([first.root, keccak256(toHex("tree-1"))]);
  await networkHelpers.time.increase(TIMELOCK);
  await rewardDistributor.write.acceptRoot();
  await record(
    "claim (first, fresh address)",
    "2^20-account tree: 20 proof elements; account never held the token",
    await rewardDistributor.write.claim([account, parseEther("1"), first.proof], as(bob)),
  );
  const later = deepRewardProof(account, parseEther("1.5"), 20, 2);
  await rewardDistributor.write.proposeRoot([later.root, keccak256(toHex("tree-2"))]);
  await networkHelpers.time.increase(TIMELOCK);
  await rewardDistributor.write.acceptRoot();
  await record(
    "claim (later)",
    "2^20-account tree: 20 proof elements; second claim of the same account",
    await rewardDistributor.write.claim([account, parseEther("1.5"), later.proof], as(bob)),
  );

  // A withdrawal voucher signed by the attester.
  const chainId = await publicClient.getChainId();
  const voucher = {
    account: alice.account.address,
    amount: parseEther("100"),
    nonce: 1n,
    deadline: BigInt((await networkHelpers.time.latest()) + 3_600),
  };
  const signature = await attester.signTypedData({
    domain: voucherDomain(chainId, creditVault.address),
    types: VOUCHER_TYPES,
    primaryType: "Voucher",
    message: voucher,
  });
  await record(
    "withdraw",
    "EIP-712 voucher signed by the attester",
    await creditVault.write.withdraw([voucher, signature], as(alice)),
  );
  return rows;
}
