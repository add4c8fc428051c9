-- Benchmark: bytes of the audit log, its indexes and TOAST included: every partition of the
-- stored table behind the view pg_audit_log.
-- @literal schema the audit schema
SELECT coalesce(sum(pg_total_relation_size(t.relid)), 0)::bigint
FROM pg_partition_tree((quote_ident({{schema}}) || '.pg_audit_log_data')::regclass) AS t
