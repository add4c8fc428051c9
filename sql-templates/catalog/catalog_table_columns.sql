-- One table's primary-key columns in key order and the columns a row can be written with
-- (live, not generated), for the viewer's restore statements ($1: schema, $2: table). No
-- row when the table does not exist.
SELECT COALESCE((
           SELECT array_agg(a.attname::text ORDER BY k.ordinality)
           FROM pg_catalog.pg_index AS i
           CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ordinality)
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = c.oid AND i.indisprimary
       ), '{}') AS key_columns,
       COALESCE((
           SELECT array_agg(a.attname::text ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute AS a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       ), '{}') AS columns
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = $1
  AND c.relname = $2
  AND c.relkind IN ('r', 'p')
