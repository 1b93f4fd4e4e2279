import { type Address, type Hex, parseSignature } from "viem";
import { VOUCHER_TYPES, type Voucher, voucherDomain } from "../../protocol/voucher.js";
import type { viem } from "./fixture.js";

export type { Voucher };

/** A wallet client of the simulated network (it signs with the node's local key). */
export type Wallet = Awaited<ReturnType<typeof viem.getWalletClients>>[number];

export const PERMIT_TYPES = {
  Permit: [
    { name: "owner", type: "address" },
    { name: "spender", type: "address" },
    { name: "value", type: "uint256" },
    { name: "nonce", type: "uint256" },
    { name: "deadline", type: "uint256" },
  ],
} as const;

/** `signer`'s EIP-712 signature over `voucher` for the vault at `vault` (the domain can be overridden to forge one). */
export async function signVoucher(
  signer: Wallet,
  vault: Address,
  voucher: Voucher,
  domain: Partial<ReturnType<typeof voucherDomain>> = {},
): Promise<Hex> {
  return signer.signTypedData({
    account: signer.account,
    domain: { ...voucherDomain(await signer.getChainId(), vault), ...domain },
    types: VOUCHER_TYPES,
    primaryType: "Voucher",
    message: voucher,
  });
}

/** The DevCreditToken's EIP-712 domain: `ERC20Permit("Basis Dev Credit")`, version "1". */
export function permitDomain(token: Address, chainId: number) {
  return { name: "Basis Dev Credit", version: "1", chainId, verifyingContract: token } as const;
}

/** `owner`'s EIP-2612 permit letting `spender` pull `value` tokens, split into (v, r, s). */
export async function signPermit(
  owner: Wallet,
  token: { address: Address; read: { nonces: (args: readonly [Address]) => Promise<bigint> } },
  spender: Address,
  value: bigint,
  deadline: bigint,
) {
  const nonce = await token.read.nonces([owner.account.address]);
  const signature = await owner.signTypedData({
    account: owner.account,
    domain: permitDomain(token.address, await owner.getChainId()),
    types: PERMIT_TYPES,
    primaryType: "Permit",
    message: { owner: owner.account.address, spender, value, nonce, deadline },
  });
  const { r, s, v } = parseSignature(signature);
  if (v === undefined) throw new Error("permit signature without v");
  return { v: Number(v), r, s, nonce };
}
