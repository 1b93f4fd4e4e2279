-- Group commit: the admissions (and the settlements) of many jobs in one statement. The gateway sends, in one
-- statement, the jobs that arrived while its previous statement of the same kind was running: one round trip and one
-- transaction for all of them, and for settlements one durable commit (one WAL flush) for all of them. Each job is
-- handled exactly as basis_reserve / basis_settle (and the receipt insert of the single-job statement) handle it
-- alone, in the order given; the gateway orders a batch by account, so concurrent batches lock account rows in the
-- same order. An error in any job fails the whole statement and nothing of it is written: the gateway then runs
-- each job of that batch alone, so every job gets its own answer.

-- basis_reserve for each (jobs[k], accts[k], amounts[k], key_ids[k], instances[k], ats[k]); row k answers job k.
CREATE FUNCTION basis_reserve_many(jobs TEXT[], accts TEXT[], amounts NUMERIC[], key_ids TEXT[], instances TEXT[],
                                   ats TIMESTAMPTZ[])
RETURNS TABLE (k INT, outcome TEXT, value NUMERIC) LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  FOR n IN 1..coalesce(array_length(jobs, 1), 0) LOOP
    SELECT * INTO r FROM basis_reserve(jobs[n], accts[n], amounts[n], key_ids[n], instances[n], ats[n]);
    k := n;
    outcome := r.outcome;
    value := r.value;
    RETURN NEXT;
  END LOOP;
END
$$;

-- basis_settle(jobs[k], charged[k]) for each job, and, when it settled (or had settled), its receipt, as the
-- single-job statement of gateway/receipts/store.ts does; row k answers job k. `cores` is the JSON array of the
-- receipt cores (element k - 1 is job k's): their JSON goes as it is, unescaped, in one parameter.
CREATE FUNCTION basis_settle_record_many(jobs TEXT[], charged NUMERIC[], hashes TEXT[], accts TEXT[], workers TEXT[],
                                         models TEXT[], cores JSONB, reported_prompt INTEGER[],
                                         reported_completion INTEGER[], worker_ids TEXT[])
RETURNS TABLE (k INT, outcome TEXT, debited NUMERIC, released NUMERIC) LANGUAGE plpgsql AS $$
DECLARE
  r RECORD;
BEGIN
  FOR n IN 1..coalesce(array_length(jobs, 1), 0) LOOP
    SELECT * INTO r FROM basis_settle(jobs[n], charged[n], NULL);
    IF r.outcome IN ('ok', 'recorded') THEN
      INSERT INTO receipts (hash, job_id, account, worker, model, core, reported_prompt_tokens,
                            reported_completion_tokens, worker_id)
        VALUES (hashes[n], jobs[n], accts[n], workers[n], models[n], cores -> (n - 1), reported_prompt[n],
                reported_completion[n], worker_ids[n])
        ON CONFLICT (job_id) DO NOTHING;
    END IF;
    k := n;
    outcome := r.outcome;
    debited := r.debited;
    released := r.released;
    RETURN NEXT;
  END LOOP;
END
$$;
