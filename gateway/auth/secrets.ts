/**
 * Bearer secrets (API keys, worker tokens): `<prefix>` + base64url of 32 random bytes. Only
 * HMAC-SHA256(pepper, secret) is stored; the pepper is a server secret that never touches the database.
 */
import crypto from "node:crypto";

/** A fresh secret and what may be shown of it later. */
export type NewSecret = { plaintext: string; displayPrefix: string; lastFour: string };

/** Hashing and minting of secrets with one prefix under one pepper. */
export type SecretKind = {
  /** True when `plaintext` has this kind's shape (checked before any database work). */
  wellFormed(plaintext: unknown): plaintext is string;
  mint(): NewSecret;
  /** HMAC-SHA256(pepper, plaintext). */
  hash(plaintext: string): Buffer;
  /** Constant-time comparison of a stored hex hash with a presented secret's hash. */
  matches(storedHex: string, presented: Buffer): boolean;
};

/**
 * @param prefix e.g. `sk-basis-`.
 * @param pepper at least 32 bytes.
 */
export function secretKind(prefix: string, pepper: string | Uint8Array): SecretKind {
  const key = typeof pepper === "string" ? Buffer.from(pepper, "utf8") : Buffer.from(pepper);
  if (key.length < 32) throw new Error("The secret pepper must be at least 32 bytes long.");
  const shape = new RegExp(`^${prefix.replace(/[-]/g, "\\-")}[A-Za-z0-9_-]{43}$`);
  return {
    wellFormed: (plaintext): plaintext is string => typeof plaintext === "string" && shape.test(plaintext),
    mint() {
      const random = crypto.randomBytes(32).toString("base64url");
      return {
        plaintext: `${prefix}${random}`,
        displayPrefix: `${prefix}${random.slice(0, 4)}`,
        lastFour: random.slice(-4),
      };
    },
    hash: (plaintext) => crypto.createHmac("sha256", key).update(plaintext, "utf8").digest(),
    matches: (storedHex, presented) => {
      const stored = Buffer.from(storedHex, "hex");
      return stored.length === presented.length && crypto.timingSafeEqual(stored, presented);
    },
  };
}
