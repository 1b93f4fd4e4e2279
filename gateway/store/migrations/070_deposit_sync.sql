-- Deposit sync (gateway/deposits/sync.ts): per chain, the last block whose confirmed deposits are all
-- credited. Each deposit is credited once by its ledger ref `<chainId>:<txHash>:<logIndex>`.
CREATE TABLE deposit_sync (
  chain_id    INTEGER PRIMARY KEY,
  last_block  NUMERIC(78, 0) NOT NULL,
  updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
