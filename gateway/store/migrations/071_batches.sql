-- Settlement batches (gateway/settlement/). A batch is built (its receipts chosen and its file written)
-- before it is posted, so a crash between building and mining re-posts the identical batch.
CREATE TABLE batches (
  batch_id       BIGINT PRIMARY KEY,
  root           TEXT NOT NULL,
  receipt_count  INTEGER NOT NULL,
  total_charged  NUMERIC(78, 0) NOT NULL,
  total_reward   NUMERIC(78, 0) NOT NULL,
  -- The batch file's exact bytes; file_hash is their SHA-256, as posted on-chain.
  file           TEXT NOT NULL,
  file_hash      TEXT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'built' CHECK (status IN ('built', 'mined')),
  tx_hash        TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  mined_at       TIMESTAMPTZ
);

ALTER TABLE receipts ADD COLUMN batch_id BIGINT;
CREATE INDEX receipts_unbatched ON receipts (seq) WHERE batch_id IS NULL;
