-- The planner's estimate of a table's rows ($1 schema, $2 table), its partitions included,
-- for a progress bar; 0 when never analyzed.
SELECT COALESCE(pg_catalog.sum(GREATEST(c.reltuples, 0)), 0)::bigint
FROM pg_catalog.pg_class AS c
WHERE c.oid IN (
    SELECT t.relid
    FROM pg_catalog.pg_partition_tree(pg_catalog.to_regclass(
        pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2))) AS t
    UNION
    SELECT pg_catalog.to_regclass(
        pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident($2))::oid)
