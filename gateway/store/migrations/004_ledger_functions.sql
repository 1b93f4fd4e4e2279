-- Admission and settlement as one statement each (one round trip on the request path). A function
-- call runs atomically inside its statement: either all of its writes happen or none do. Refusals undo
-- what the function wrote before answering, so a refused reserve leaves no trace, not even an entry.

-- The start of the budget period containing `at`: UTC day, UTC month, or the epoch (lifetime cap).
CREATE FUNCTION basis_period_start(period TEXT, at TIMESTAMPTZ) RETURNS TIMESTAMPTZ
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE period WHEN 'day' THEN date_trunc('day', at, 'UTC')
                     WHEN 'month' THEN date_trunc('month', at, 'UTC')
                     ELSE timestamptz 'epoch' END
$$;

-- reserve: hold `amount` on the account and the key's budget for job `job`. A revoked key is refused
-- here too, so a key revoked on any replica stops admitting at once even where its verification is cached.
-- outcome: 'ok' | 'duplicate_job' | 'key_revoked' | 'insufficient_credits' (value = available)
--        | 'budget_exceeded' (value = remaining)
CREATE FUNCTION basis_reserve(job TEXT, acct TEXT, amount NUMERIC, key_id TEXT, instance TEXT, at TIMESTAMPTZ)
RETURNS TABLE (outcome TEXT, value NUMERIC) LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
  t TIMESTAMPTZ := COALESCE(at, now());
  have NUMERIC;
  lim NUMERIC;
  used NUMERIC;
BEGIN
  -- The admission commits without waiting for its WAL flush (it stays atomic and visible to every other
  -- transaction at once): the job's settle, which is durable, flushes the WAL past this record. Only a
  -- crash of the database itself between the two can lose a hold, and then the job's charge with it.
  PERFORM set_config('synchronous_commit', 'off', true);
  IF key_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM api_keys k WHERE k.id = key_id AND k.revoked_at IS NULL) THEN
    RETURN QUERY SELECT 'key_revoked'::text, 0::numeric;
    RETURN;
  END IF;
  IF EXISTS (SELECT 1 FROM ledger_entries e WHERE e.job_id = job) THEN
    RETURN QUERY SELECT 'duplicate_job'::text, 0::numeric;
    RETURN;
  END IF;
  INSERT INTO holds (job_id, account, amount, api_key_id, instance_id) VALUES (job, acct, amount, key_id, instance)
    ON CONFLICT (job_id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN QUERY SELECT 'duplicate_job'::text, 0::numeric;
    RETURN;
  END IF;
  -- The balance check and the charge are one conditional UPDATE: concurrent reserves cannot overdraw.
  UPDATE accounts a SET available = a.available - amount, held = a.held + amount, updated_at = now()
    WHERE a.account = acct AND a.available >= amount;
  IF NOT FOUND THEN
    DELETE FROM holds h WHERE h.job_id = job;
    SELECT a.available INTO have FROM accounts a WHERE a.account = acct;
    RETURN QUERY SELECT 'insufficient_credits'::text, COALESCE(have, 0);
    RETURN;
  END IF;
  IF key_id IS NOT NULL THEN
    UPDATE api_key_budgets b SET
        period_spent = CASE WHEN b.period_start = basis_period_start(b.budget_period, t) THEN b.period_spent ELSE 0 END,
        period_start = basis_period_start(b.budget_period, t),
        held = b.held + amount
      WHERE b.api_key_id = key_id
        AND (b.budget_limit IS NULL OR b.held + amount
             + CASE WHEN b.period_start = basis_period_start(b.budget_period, t) THEN b.period_spent ELSE 0 END
             <= b.budget_limit);
    IF NOT FOUND THEN
      SELECT b.budget_limit,
             b.held + CASE WHEN b.period_start = basis_period_start(b.budget_period, t) THEN b.period_spent ELSE 0 END
        INTO lim, used FROM api_key_budgets b WHERE b.api_key_id = key_id;
      IF FOUND THEN
        UPDATE accounts a SET available = a.available + amount, held = a.held - amount WHERE a.account = acct;
        DELETE FROM holds h WHERE h.job_id = job;
        RETURN QUERY SELECT 'budget_exceeded'::text, GREATEST(lim - used, 0);
        RETURN;
      END IF;
    END IF;
  END IF;
  INSERT INTO ledger_entries (account, kind, amount, job_id) VALUES (acct, 'hold', amount, job);
  RETURN QUERY SELECT 'ok'::text, 0::numeric;
END
$$;

-- settle: debit `charged` (<= the hold) and release the rest, closing the hold of job `job`.
-- outcome: 'ok' (debited, released) | 'charge_exceeds_hold' (debited = charged, released = hold)
--        | 'recorded' (the totals already recorded for a closed job) | 'unknown_hold'
CREATE FUNCTION basis_settle(job TEXT, charged NUMERIC, at TIMESTAMPTZ)
RETURNS TABLE (outcome TEXT, debited NUMERIC, released NUMERIC) LANGUAGE plpgsql AS $$
#variable_conflict use_variable
DECLARE
  t TIMESTAMPTZ := COALESCE(at, now());
  h holds%ROWTYPE;
  rest NUMERIC;
BEGIN
  SELECT * INTO h FROM holds WHERE holds.job_id = job FOR UPDATE;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM ledger_entries e WHERE e.job_id = job AND e.kind IN ('debit', 'release')) THEN
      RETURN QUERY SELECT 'recorded'::text,
        COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'debit'), 0),
        COALESCE(sum(e.amount) FILTER (WHERE e.kind = 'release'), 0)
        FROM ledger_entries e WHERE e.job_id = job;
    ELSE
      RETURN QUERY SELECT 'unknown_hold'::text, 0::numeric, 0::numeric;
    END IF;
    RETURN;
  END IF;
  IF charged > h.amount THEN
    RETURN QUERY SELECT 'charge_exceeds_hold'::text, charged, h.amount;
    RETURN;
  END IF;
  rest := h.amount - charged;
  DELETE FROM holds WHERE holds.job_id = job;
  UPDATE accounts a SET held = a.held - h.amount, spent = a.spent + charged, available = a.available + rest,
      updated_at = now()
    WHERE a.account = h.account;
  IF h.api_key_id IS NOT NULL THEN
    -- GREATEST: a budget row created while the hold was open never saw the hold.
    UPDATE api_key_budgets b SET
        period_spent = CASE WHEN b.period_start = basis_period_start(b.budget_period, t) THEN b.period_spent ELSE 0 END
                       + charged,
        period_start = basis_period_start(b.budget_period, t),
        held = GREATEST(b.held - h.amount, 0),
        total_spent = b.total_spent + charged
      WHERE b.api_key_id = h.api_key_id;
  END IF;
  IF charged > 0 THEN
    INSERT INTO ledger_entries (account, kind, amount, job_id) VALUES (h.account, 'debit', charged, job);
  END IF;
  IF rest > 0 THEN
    INSERT INTO ledger_entries (account, kind, amount, job_id) VALUES (h.account, 'release', rest, job);
  END IF;
  RETURN QUERY SELECT 'ok'::text, charged, rest;
END
$$;
