-- Every partition, at any depth, of the partitioned tables in the given schemas ($1 text[]),
-- with the table at the root of its tree and whether it is a leaf.
SELECT rn.nspname::text AS root_schema,
       rc.relname::text AS root_table,
       pn.nspname::text AS partition_schema,
       pc.relname::text AS partition_table,
       t.isleaf AS is_leaf
FROM pg_catalog.pg_class AS rc
JOIN pg_catalog.pg_namespace AS rn ON rn.oid = rc.relnamespace
CROSS JOIN LATERAL pg_catalog.pg_partition_tree(rc.oid) AS t
JOIN pg_catalog.pg_class AS pc ON pc.oid = t.relid
JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace
WHERE rn.nspname = ANY ($1)
  AND rc.relkind = 'p'
  AND NOT rc.relispartition
  AND t.relid <> rc.oid
ORDER BY 1, 2, 3, 4
