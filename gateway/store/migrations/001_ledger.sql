-- The ledger. Money is NUMERIC(78,0): integer base units of the 18-decimal credit token (up to 2^256).
-- Identity kept by every transaction (gateway/ledger/ledger.ts), per account and in total:
--   deposited + granted + refunded = available + held + spent + withdrawn

-- Current balances, updated in the same transaction as each ledger entry.
CREATE TABLE accounts (
  account TEXT PRIMARY KEY CHECK (account ~ '^0x[0-9a-f]{40}$'),
  available NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (available >= 0),
  held NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (held >= 0),
  spent NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (spent >= 0),
  deposited NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (deposited >= 0),
  granted NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (granted >= 0),
  withdrawn NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (withdrawn >= 0),
  refunded NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (refunded >= 0),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Append-only history: every balance can be recomputed from it. Amounts are positive; the kind says
-- which way they move (see recompute in gateway/ledger/balance.ts).
CREATE TABLE ledger_entries (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('deposit', 'operator', 'hold', 'debit', 'release', 'refund', 'withdraw')),
  amount NUMERIC(78, 0) NOT NULL CHECK (amount > 0),
  job_id TEXT,
  ref TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  CHECK (kind NOT IN ('deposit', 'operator') OR ref IS NOT NULL),
  CHECK (kind NOT IN ('hold', 'debit', 'release', 'refund') OR job_id IS NOT NULL)
);
-- A credit is applied once per (kind, ref): a deposit's ref is its chain event, an operator grant's its ticket.
CREATE UNIQUE INDEX ledger_entries_credit_once ON ledger_entries (kind, ref) WHERE kind IN ('deposit', 'operator');
CREATE INDEX ledger_entries_by_account ON ledger_entries (account, id DESC);
CREATE INDEX ledger_entries_by_job ON ledger_entries (job_id) WHERE job_id IS NOT NULL;

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only';
END
$$;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_append_only();

-- Open holds: the worst case of each running job, until settle or release deletes the row.
CREATE TABLE holds (
  job_id TEXT PRIMARY KEY,
  account TEXT NOT NULL,
  amount NUMERIC(78, 0) NOT NULL CHECK (amount > 0),
  api_key_id TEXT,
  instance_id TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX holds_by_instance ON holds (instance_id);
CREATE INDEX holds_by_account ON holds (account);

-- Gateway processes and their heartbeats: the holds of a process that stopped beating are released.
CREATE TABLE instances (
  id TEXT PRIMARY KEY,
  node TEXT,
  started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  retired_at TIMESTAMPTZ
);
CREATE INDEX instances_by_node ON instances (node) WHERE node IS NOT NULL;

-- Per-key spend and budget: a cap in base units per period (UTC day or month; no period = lifetime).
-- Admission checks held + period_spent + amount <= budget_limit in the same statement that charges it.
CREATE TABLE api_key_budgets (
  api_key_id TEXT PRIMARY KEY,
  budget_limit NUMERIC(78, 0) CHECK (budget_limit >= 0),
  budget_period TEXT CHECK (budget_period IN ('day', 'month')),
  period_start TIMESTAMPTZ NOT NULL DEFAULT 'epoch',
  period_spent NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (period_spent >= 0),
  held NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (held >= 0),
  total_spent NUMERIC(78, 0) NOT NULL DEFAULT 0 CHECK (total_spent >= 0)
);
