-- Reward roots (gateway/settlement/rewards.ts): each a tree of every contributor's cumulative reward over
-- the receipts of batches 1..through_batch, proposed to the RewardDistributor and accepted after its timelock.
CREATE TABLE reward_roots (
  id             BIGSERIAL PRIMARY KEY,
  root           TEXT NOT NULL,
  through_batch  BIGINT NOT NULL UNIQUE,
  -- The reward tree file's exact bytes; file_hash is their SHA-256, as proposed on-chain.
  file           TEXT NOT NULL,
  file_hash      TEXT NOT NULL,
  status         TEXT NOT NULL DEFAULT 'built' CHECK (status IN ('built', 'proposed', 'accepted')),
  valid_at       TIMESTAMPTZ,
  propose_tx     TEXT,
  accept_tx      TEXT,
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
