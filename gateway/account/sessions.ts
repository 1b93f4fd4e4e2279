import { createHash, randomBytes } from "node:crypto";
import { type Hex, recoverMessageAddress } from "viem";
import { generateSiweNonce, parseSiweMessage, validateSiweMessage } from "viem/siwe";
import type { Db } from "../store/db.js";

/** How long a SIWE nonce may wait for its signature, and how long a session lasts. */
export const NONCE_TTL_MS = 10 * 60_000;
export const SESSION_TTL_MS = 60 * 60_000;

const SESSION_PREFIX = "basis-session-";
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

/** Why a sign-in was refused (said to the client; never includes the signature). */
export class SignInError extends Error {}

/**
 * Sign-In with Ethereum (EIP-4361) sessions for the account endpoints. Nonces are single-use and
 * expire; sessions are random bearer tokens stored only as SHA-256 hashes, valid for an hour.
 */
export function createSessions(db: Db, now: () => Date = () => new Date()) {
  return {
    /** A fresh single-use nonce to put in the SIWE message. */
    async nonce(): Promise<string> {
      const nonce = generateSiweNonce();
      await db.query("INSERT INTO siwe_nonces (nonce, created_at) VALUES ($1, $2)", [nonce, now()]);
      return nonce;
    },

    /**
     * Verifies a signed SIWE message for `domain` and opens a session for its address.
     * @throws SignInError when the message, its nonce, its times or the signature do not hold.
     */
    async signIn(p: { message: string; signature: Hex; domain: string }) {
      const fields = parseSiweMessage(p.message);
      if (!fields.address || !fields.nonce) throw new SignInError("The message is not an EIP-4361 sign-in message.");
      if (!validateSiweMessage({ message: fields, domain: p.domain, time: now() })) {
        throw new SignInError(
          `The sign-in message is not valid for ${p.domain} now (domain, expiration or not-before).`,
        );
      }
      let signer: Hex;
      try {
        signer = await recoverMessageAddress({ message: p.message, signature: p.signature });
      } catch {
        throw new SignInError("The signature is malformed.");
      }
      if (signer.toLowerCase() !== fields.address.toLowerCase())
        throw new SignInError("The signature is not the address's.");
      const cutoff = new Date(now().getTime() - NONCE_TTL_MS);
      const used = await db.query(
        "UPDATE siwe_nonces SET used_at = $2 WHERE nonce = $1 AND used_at IS NULL AND created_at >= $3 RETURNING nonce",
        [fields.nonce, now(), cutoff],
      );
      if (used.length === 0) throw new SignInError("The nonce is unknown, expired or already used.");
      const token = `${SESSION_PREFIX}${randomBytes(32).toString("base64url")}`;
      const expiresAt = new Date(now().getTime() + SESSION_TTL_MS);
      const account = fields.address.toLowerCase() as Hex;
      await db.query("INSERT INTO sessions (token_hash, account, expires_at) VALUES ($1, $2, $3)", [
        hash(token),
        account,
        expiresAt,
      ]);
      return { token, account, expiresAt };
    },

    /** The account of a live session token, or null. */
    async account(token: string): Promise<Hex | null> {
      if (!token.startsWith(SESSION_PREFIX)) return null;
      const [row] = await db.query<{ account: Hex }>(
        "SELECT account FROM sessions WHERE token_hash = $1 AND expires_at > $2",
        [hash(token), now()],
      );
      return row?.account ?? null;
    },

    /** Ends a session. */
    async signOut(token: string): Promise<void> {
      await db.query("DELETE FROM sessions WHERE token_hash = $1", [hash(token)]);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
