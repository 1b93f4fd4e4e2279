import type { Address } from "viem";

/** EIP-712 type of a withdrawal voucher, as `CreditVault.VOUCHER_TYPEHASH` hashes it. */
export const VOUCHER_TYPES = {
  Voucher: [
    { name: "account", type: "address" },
    { name: "amount", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** A withdrawal voucher: `amount` base units back to `account`, usable once, until `deadline` (unix seconds). */
export type Voucher = { account: Address; amount: bigint; nonce: bigint; deadline: bigint };

/**
 * The EIP-712 domain of a CreditVault.
 * @param chainId The chain the vault lives on.
 * @param verifyingContract The vault's address.
 * @example signTypedData({ domain: voucherDomain(31337, vault), types: VOUCHER_TYPES, primaryType: "Voucher", message })
 */
export function voucherDomain(chainId: number, verifyingContract: Address) {
  return { name: "Basis CreditVault", version: "1", chainId, verifyingContract } as const;
}
