-- The per-table audit functions in the audit schema ($1).
SELECT p.proname::text
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = $1
  AND p.proname LIKE 'pg\_audit\_fn\_%'
ORDER BY 1
