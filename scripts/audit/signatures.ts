/**
 * Who signed a receipt hash. The attester signs `hash` with EIP-191 personal-sign; recovering the signer
 * of every receipt of a network is the audit's hottest loop, so it runs on native libsecp256k1 (about ten
 * times viem's pure-JS recovery) and falls back to the protocol's `verifyReceiptSignature` for anything
 * the fast path does not take (an odd `v`, a malformed signature).
 */
import secp256k1 from "secp256k1";
import { type Address, getAddress, type Hex, keccak256 } from "viem";
import { verifyReceiptSignature } from "../../protocol/receipt.js";

const PREFIX = new TextEncoder().encode("\x19Ethereum Signed Message:\n32");
const SIGNATURE = /^0x[0-9a-fA-F]{130}$/;
const HASH = /^0x[0-9a-f]{64}$/;

/**
 * Recovers the address that signed a receipt hash.
 * @param hash The receipt hash (`0x` + 64 lowercase hex digits).
 * @param signature 65 bytes r ‖ s ‖ v.
 * @returns The signer's checksummed address, or null when the signature recovers no address.
 * @example await receiptSigner(receipt.hash, receipt.signature) // 0xf39F…
 */
export async function receiptSigner(hash: Hex, signature: string): Promise<Address | null> {
  if (!SIGNATURE.test(signature) || !HASH.test(hash)) return null;
  const bytes = Buffer.from(signature.slice(2), "hex");
  const v = bytes[64] ?? 0;
  const recid = v >= 27 ? v - 27 : v;
  if (recid === 0 || recid === 1) {
    try {
      const message = new Uint8Array(PREFIX.length + 32);
      message.set(PREFIX);
      message.set(Buffer.from(hash.slice(2), "hex"), PREFIX.length);
      const publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), recid, keccak256(message, "bytes"), false);
      return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
    } catch {
      // Not a signature libsecp256k1 recovers: let the protocol's definition decide.
    }
  }
  try {
    return await verifyReceiptSignature(hash, signature as Hex);
  } catch {
    return null;
  }
}
