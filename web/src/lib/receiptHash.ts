import canonicalize from "canonicalize";
import { type Hex, sha256, stringToBytes } from "viem";

/**
 * A receipt's hash, recomputed in the browser from its core, as the README specifies it for outsiders:
 * `0x + hex(SHA-256(UTF-8(JCS(core))))`, JCS being RFC 8785 canonical JSON. The auditor's checker compares it with
 * the hash the gateway states, so the check does not rest on the gateway's word.
 */
export function recomputeReceiptHash(core: unknown): Hex {
  const canonical = canonicalize(core);
  if (canonical === undefined) throw new Error("the receipt core cannot be serialized");
  return sha256(stringToBytes(canonical));
}
