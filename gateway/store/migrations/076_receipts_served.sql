-- The receipts of jobs a contributor's workers served, newest first (GET /api/account/served pages by seq; its
-- summary reads one payout address's rows). The older receipts_by_worker (worker, worker_id) stays for the workers'
-- records.
CREATE INDEX receipts_served ON receipts (worker, seq DESC) WHERE worker IS NOT NULL;
