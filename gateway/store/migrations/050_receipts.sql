-- Receipts: the hashed core (immutable) and the envelope (status, signature, settlement, refund).
CREATE TABLE receipts (
  seq            BIGSERIAL PRIMARY KEY,
  hash           TEXT NOT NULL UNIQUE,
  job_id         TEXT NOT NULL UNIQUE,
  account        TEXT NOT NULL,
  worker         TEXT,
  model          TEXT NOT NULL,
  core           JSONB NOT NULL,
  status         TEXT NOT NULL DEFAULT 'recorded' CHECK (status IN ('recorded', 'settled', 'refunded')),
  signature      TEXT,
  settlement     JSONB,
  refund         JSONB,
  -- What the backend said it used: stored beside the gateway's own count, never billed.
  reported_prompt_tokens     INTEGER,
  reported_completion_tokens INTEGER,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX receipts_account_seq ON receipts (account, seq DESC);
