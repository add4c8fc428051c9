-- Tables that can be audited in the given schemas ($1 text[]), leaving out the audit schema
-- ($2): ordinary and partitioned tables, not partitions (their parent is audited), never
-- views, foreign tables or temporary tables. With each: its primary-key columns in key
-- order, whether that key is deferrable, and its live columns.
SELECT n.nspname::text AS schema_name,
       c.relname::text AS table_name,
       c.relkind = 'p' AS partitioned,
       COALESCE((
           SELECT array_agg(a.attname::text ORDER BY k.ordinality)
           FROM pg_catalog.pg_index AS i
           CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ordinality)
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
           WHERE i.indrelid = c.oid AND i.indisprimary
       ), '{}') AS key_columns,
       COALESCE((
           SELECT array_agg(a.attname::text ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute AS a
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       ), '{}') AS columns,
       -- json (not jsonb) columns, domains over json included: their text can change while
       -- their jsonb value stays equal.
       COALESCE((
           SELECT array_agg(a.attname::text ORDER BY a.attnum)
           FROM pg_catalog.pg_attribute AS a
           JOIN pg_catalog.pg_type AS ty ON ty.oid = a.atttypid
           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
             AND (a.atttypid = 'pg_catalog.json'::pg_catalog.regtype
                  OR ty.typelem = 'pg_catalog.json'::pg_catalog.regtype
                  OR ty.typbasetype = 'pg_catalog.json'::pg_catalog.regtype)
       ), '{}') AS json_columns
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ANY ($1)
  AND n.nspname <> $2
  AND c.relkind IN ('r', 'p')
  AND c.relpersistence <> 't'
  AND NOT c.relispartition
ORDER BY 1, 2
