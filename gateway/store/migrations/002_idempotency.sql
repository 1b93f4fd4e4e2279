-- Idempotency-Key records of POST requests (gateway/ledger/idempotency.ts): the first answer, replayed
-- to a retry with the same key and body.
CREATE TABLE idempotency_keys (
  account TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
  status INTEGER,
  headers JSONB,
  body TEXT,
  instance_id TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  completed_at TIMESTAMPTZ,
  PRIMARY KEY (account, key),
  CHECK (state = 'in_progress' OR (status IS NOT NULL AND headers IS NOT NULL AND body IS NOT NULL))
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
