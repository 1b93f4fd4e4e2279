-- Withdrawals (gateway/ledger/withdrawals.ts): unused deposited credit goes back out of the vault
-- against an EIP-712 voucher signed by the attester. Issuing one moves its amount from `available` to
-- `withdrawing`; the voucher's use on-chain (the indexer's confirmed `Withdrawn` event) moves it on to
-- `withdrawn`; a voucher still unused once a confirmed block is later than its deadline moves it back
-- to `available`. The identity becomes:
--   deposited + granted + refunded = available + held + spent + withdrawing + withdrawn

ALTER TABLE accounts ADD COLUMN withdrawing NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (withdrawing >= 0);

-- Entry kinds: voucher (available → withdrawing), withdraw (withdrawing → withdrawn),
-- voucher_expiry (withdrawing → available). Each carries the voucher's id as its ref, once per kind.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check CHECK (
  kind IN ('deposit', 'operator', 'hold', 'debit', 'release', 'refund', 'voucher', 'withdraw', 'voucher_expiry')
);
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_voucher_ref CHECK (
  kind NOT IN ('voucher', 'withdraw', 'voucher_expiry') OR ref IS NOT NULL
);
CREATE UNIQUE INDEX ledger_entries_voucher_once ON ledger_entries (kind, ref)
  WHERE kind IN ('voucher', 'withdraw', 'voucher_expiry');

-- Voucher nonces: one sequence for every account (the vault keys used vouchers by account and nonce).
CREATE SEQUENCE withdrawal_nonces START 1;

CREATE TABLE withdrawals (
  id          TEXT PRIMARY KEY,
  account     TEXT NOT NULL CHECK (account ~ '^0x[0-9a-f]{40}$'),
  amount      NUMERIC(78, 0) NOT NULL CHECK (amount > 0),
  nonce       NUMERIC(78, 0) NOT NULL,
  -- Unix seconds: the vault refuses the voucher in any block with a later timestamp.
  deadline    BIGINT NOT NULL,
  signature   TEXT NOT NULL,
  status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'withdrawn', 'expired')),
  -- The confirmed Withdrawn event, `<chainId>:<txHash>:<logIndex>`.
  chain_ref   TEXT,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_at   TIMESTAMPTZ,
  UNIQUE (account, nonce)
);
CREATE INDEX withdrawals_by_account ON withdrawals (account, created_at DESC);
CREATE INDEX withdrawals_pending ON withdrawals (deadline) WHERE status = 'pending';
