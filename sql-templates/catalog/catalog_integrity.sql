-- What in the audit schema ($1) is not as migrate and attach left it, one row per finding
-- (object, problem): an append-only guard trigger missing or not ENABLE ALWAYS on a log or
-- any of its partitions; a function
-- PUBLIC may execute; a trigger function not owned by the audit role ($2); a table PUBLIC
-- has a privilege on or the audit role owns; a registered table that no longer exists
-- (renamed, moved or dropped); retention tokens a purge left behind.
-- @ident schema the audit schema
SELECT c.relname || '.' || g.trigger_name AS object,
       CASE WHEN t.oid IS NULL THEN 'append-only guard trigger missing'
            ELSE 'append-only guard trigger not ENABLE ALWAYS (tgenabled ' || t.tgenabled::text || ')' END AS problem
FROM pg_catalog.pg_class AS c
CROSS JOIN (VALUES ('pg_audit_append_only'), ('pg_audit_append_only_truncate')) AS g(trigger_name)
LEFT JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid AND t.tgname = g.trigger_name
WHERE c.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace AS n WHERE n.nspname = $1)
  AND c.relkind IN ('r', 'p')
  AND (c.relname IN ('pg_audit_log', 'pg_audit_log_data', 'pg_api_audit_log')
       OR EXISTS (
           SELECT 1 FROM pg_catalog.pg_inherits AS i
           JOIN pg_catalog.pg_class AS l ON l.oid = i.inhparent
           WHERE i.inhrelid = c.oid AND l.relnamespace = c.relnamespace
             AND l.relname IN ('pg_audit_log_data', 'pg_api_audit_log')))
  AND (t.oid IS NULL OR t.tgenabled <> 'A')
UNION ALL
SELECT p.oid::regprocedure::text, 'function executable by PUBLIC'
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
  -- The view pg_audit_log's reader calls it with its own rights; it only reads its arguments.
  AND p.proname <> 'pg_audit_new_data'
UNION ALL
SELECT p.oid::regprocedure::text, 'trigger function owned by ' || pg_catalog.pg_get_userbyid(p.proowner)::text || ', not ' || $2
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = $1 AND p.proname LIKE 'pg\_audit\_fn\_%' AND pg_catalog.pg_get_userbyid(p.proowner) <> $2
UNION ALL
SELECT c.oid::regclass::text,
       CASE WHEN pg_catalog.pg_get_userbyid(c.relowner) = $2 THEN 'table owned by the audit role'
            ELSE 'table PUBLIC has a privilege on' END
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v')
  AND (pg_catalog.pg_get_userbyid(c.relowner) = $2
       OR EXISTS (SELECT 1 FROM pg_catalog.aclexplode(c.relacl) AS a WHERE a.grantee = 0))
UNION ALL
SELECT pg_catalog.quote_ident(r.schema_name) || '.' || pg_catalog.quote_ident(r.table_name),
       'registered as audited but no longer exists (renamed, moved to another schema or dropped): run pg-audit attach'
FROM {{schema}}.pg_audit_tables AS r
WHERE NOT r.excluded
  AND NOT EXISTS (
      SELECT 1 FROM pg_catalog.pg_class AS c
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      WHERE n.nspname = r.schema_name AND c.relname = r.table_name)
UNION ALL
SELECT 'pg_audit_retention_tokens', pg_catalog.count(*)::text || ' token(s) left by an unfinished retention run'
FROM {{schema}}.pg_audit_retention_tokens
HAVING pg_catalog.count(*) > 0
ORDER BY 1, 2
