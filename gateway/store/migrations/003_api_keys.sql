-- API keys (gateway/auth/apiKeys.ts). Only HMAC-SHA256(pepper, key) is stored, as hex; the prefix
-- (`sk-basis-` + 4 characters) and the last four characters are kept to show the key in a list.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  account TEXT NOT NULL CHECK (account ~ '^0x[0-9a-f]{40}$'),
  name TEXT NOT NULL,
  key_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  last_four TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at TIMESTAMPTZ
);
CREATE INDEX api_keys_by_account ON api_keys (account, created_at);
