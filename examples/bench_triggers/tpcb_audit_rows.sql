-- Benchmark (pgbench TPC-B): the audit rows of the pgbench tables, by table and operation,
-- so each audited round can check that every transaction it counted was recorded.
-- @ident schema the audit schema
SELECT table_name, operation, count(*)
FROM {{schema}}.pg_audit_log
WHERE schema_name = 'public'
  AND table_name IN ('pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history')
GROUP BY table_name, operation
