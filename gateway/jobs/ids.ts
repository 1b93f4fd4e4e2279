import { randomFillSync } from "node:crypto";

/** Random bytes drawn from the OS at once, and handed out 12 at a time. */
const POOL_BYTES = 12 * 512;

/**
 * Job ids: 12 random bytes (96 bits) as base64url, 16 characters, like `randomBytes(12).toString("base64url")`, but
 * drawn from a pool filled 512 ids at a time (one call into the CSPRNG per 512 jobs instead of one per job).
 * @returns A function returning a fresh id on each call.
 * @example const newJobId = createJobIds(); `chatcmpl-${newJobId()}` // chatcmpl-3q2Hk8d0bX1mZ9aQ
 */
export function createJobIds(): () => string {
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  let offset = POOL_BYTES;
  return () => {
    if (offset === POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const id = pool.toString("base64url", offset, offset + 12);
    offset += 12;
    return id;
  };
}
