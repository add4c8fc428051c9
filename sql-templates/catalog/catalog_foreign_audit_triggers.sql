-- Triggers with pg-audit's names on tables of the given schemas ($1 text[]) that call a
-- function of another schema than our audit schema ($2): another audit schema's triggers,
-- which would clash with ours.
SELECT tn.nspname::text AS table_schema,
       tc.relname::text AS table_name,
       pn.nspname::text AS function_schema
FROM pg_catalog.pg_trigger AS t
JOIN pg_catalog.pg_class AS tc ON tc.oid = t.tgrelid
JOIN pg_catalog.pg_namespace AS tn ON tn.oid = tc.relnamespace
JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace AS pn ON pn.oid = p.pronamespace
WHERE tn.nspname = ANY ($1)
  AND pn.nspname <> $2
  AND p.proname LIKE 'pg\_audit\_fn\_%'
  AND t.tgname IN ('pg_audit_insert', 'pg_audit_update', 'pg_audit_delete', 'pg_audit_truncate',
                   'pg_audit_key_change', 'pg_audit_row', 'pg_audit_row_update')
  AND NOT t.tgisinternal
ORDER BY 1, 2
LIMIT 1
