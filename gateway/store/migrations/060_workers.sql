-- Contributor workers (gateway/workers/). A worker token authorizes a worker of the account that
-- owns it; only HMAC-SHA256(pepper, token) is stored, as for API keys.
CREATE TABLE worker_tokens (
  id         TEXT PRIMARY KEY,
  account    TEXT NOT NULL CHECK (account ~ '^0x[0-9a-f]{40}$'),
  name       TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  prefix     TEXT NOT NULL,
  last_four  TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  revoked_at TIMESTAMPTZ
);
CREATE INDEX worker_tokens_by_account ON worker_tokens (account, created_at);

-- One row per worker (payout address + name), kept across connections.
CREATE TABLE workers (
  id              TEXT PRIMARY KEY,
  account         TEXT NOT NULL,
  name            TEXT NOT NULL,
  first_seen      TIMESTAMPTZ NOT NULL DEFAULT now(),
  last_seen       TIMESTAMPTZ NOT NULL DEFAULT now(),
  -- Set when the worker's own usage reports keep disagreeing with the gateway's count, or it broke
  -- the protocol; the reason says which. Never cleared by the worker itself.
  suspect_reason  TEXT,
  UNIQUE (account, name)
);

-- Which worker (not only which payout address) served a receipt's job.
ALTER TABLE receipts ADD COLUMN worker_id TEXT;
CREATE INDEX receipts_by_worker ON receipts (worker, worker_id) WHERE worker IS NOT NULL;
