-- Serializes migrate and attach runs on one audit schema across processes and replicas.
-- Held until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended('pg_audit:' || $1, 0))
