-- Body of pg_audit_partitions(): every partition of both logs with its bounds, read from the
-- catalog (the partition bound, printed in UTC as the function pins it), so nothing else
-- keeps a list that could disagree with it. A NULL lower bound is MINVALUE.
-- @literal schema_name the audit schema, as a string
SELECT p.relname::text,
       c.relname::text,
       CASE WHEN b.m[1] = 'MINVALUE' THEN NULL ELSE pg_catalog.btrim(b.m[1], '''')::timestamptz END,
       CASE WHEN b.m[2] = 'MAXVALUE' THEN NULL ELSE pg_catalog.btrim(b.m[2], '''')::timestamptz END,
       b.m IS NULL
FROM pg_catalog.pg_inherits AS i
JOIN pg_catalog.pg_class AS p ON p.oid = i.inhparent
JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
CROSS JOIN LATERAL (
    SELECT pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                   '^FOR VALUES FROM \((.*)\) TO \((.*)\)$') AS m
) AS b
WHERE p.relnamespace = (SELECT n.oid FROM pg_catalog.pg_namespace AS n WHERE n.nspname = {{schema_name}})
  AND p.relname IN ('pg_audit_log_data', 'pg_api_audit_log')
