-- Sign-In with Ethereum: one-time nonces and short-lived sessions (stored as hashes only).
CREATE TABLE siwe_nonces (
  nonce      TEXT PRIMARY KEY,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  used_at    TIMESTAMPTZ
);
CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  account    TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_account ON sessions (account);
