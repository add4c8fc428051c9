-- Serializes migrate and attach runs on one audit schema across processes and replicas.
-- Held until the transaction ends.
SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended('pg_audit:' OPERATOR(pg_catalog.||) $1, 0))
