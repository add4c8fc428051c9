-- Benchmark: bytes of the audit log, its indexes and TOAST included.
-- @literal schema the audit schema
SELECT pg_total_relation_size(c.oid)
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = {{schema}} AND c.relname = 'pg_audit_log'
