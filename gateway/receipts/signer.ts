import secp256k1 from "secp256k1";
import { type Address, bytesToHex, concat, type Hex, hexToBytes, keccak256, toBytes } from "viem";
import { privateKeyToAddress } from "viem/accounts";

/** Signs receipt hashes as the attester, off the request path. */
export type ReceiptSigner = {
  address: Address;
  /** EIP-191 personal-sign of the 32-byte `hash`: 65 bytes r‖s‖v, v = 27 or 28. */
  sign(hash: Hex): Promise<Hex>;
};

const PREFIX = toBytes("\x19Ethereum Signed Message:\n32");
/** Signatures made per event-loop turn before yielding to requests. */
const BATCH = 64;

/**
 * The attester's receipt signer on native libsecp256k1 (~24,000 signatures/s on one core here, ten
 * times viem's pure-JS signer). `sign` only queues: signatures are made in small batches on
 * `setImmediate`, so a response never waits for one and request handling interleaves with them.
 * @param privateKey the attester key; never logged, never in an error.
 * @example const signer = createReceiptSigner(env.BASIS_ATTESTER_KEY); await signer.sign(receiptHash)
 */
export function createReceiptSigner(privateKey: Hex): ReceiptSigner {
  const key = hexToBytes(privateKey);
  if (key.length !== 32 || !secp256k1.privateKeyVerify(key))
    throw new Error("the attester key is not a valid secp256k1 private key");
  const queue: { hash: Hex; resolve(signature: Hex): void; reject(error: Error): void }[] = [];
  let scheduled = false;

  function flush() {
    scheduled = false;
    for (const job of queue.splice(0, BATCH)) {
      try {
        const bytes = hexToBytes(job.hash);
        if (bytes.length !== 32) throw new Error("a receipt hash is 32 bytes");
        const digest = hexToBytes(keccak256(concat([PREFIX, bytes])));
        const { signature, recid } = secp256k1.ecdsaSign(digest, key);
        job.resolve(bytesToHex(concat([signature, new Uint8Array([recid + 27])])));
      } catch (error) {
        job.reject(error as Error);
      }
    }
    if (queue.length > 0) schedule();
  }
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    address: privateKeyToAddress(privateKey),
    sign(hash) {
      return new Promise<Hex>((resolve, reject) => {
        queue.push({ hash, resolve, reject });
        schedule();
      });
    },
  };
}
