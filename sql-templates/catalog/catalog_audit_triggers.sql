-- The audit triggers that exist: every trigger calling a function of the audit schema ($1),
-- except the audit tables' own guards and the clones PostgreSQL keeps on partitions.
-- tgenabled 'A' means ENABLE ALWAYS; 'D' disabled; 'O' origin-only.
SELECT tn.nspname::text AS table_schema,
       tc.relname::text AS table_name,
       t.tgname::text AS trigger_name,
       t.tgenabled::text AS enabled,
       p.proname::text AS function_name
FROM pg_catalog.pg_trigger AS t
JOIN pg_catalog.pg_class AS tc ON tc.oid = t.tgrelid
JOIN pg_catalog.pg_namespace AS tn ON tn.oid = tc.relnamespace
JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace AS pn ON pn.oid = p.pronamespace
WHERE pn.nspname = $1
  AND tn.nspname <> $1
  AND NOT t.tgisinternal
  AND t.tgparentid = 0
ORDER BY 1, 2, 3
