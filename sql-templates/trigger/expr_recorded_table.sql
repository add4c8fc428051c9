-- The schema and name the table of the firing trigger is recorded under: its name now (after
-- any RENAME or SET SCHEMA), a partition's root's for a partition, its own once detached.
SELECT n.nspname::text AS schema_name, r.relname::text AS table_name
FROM pg_catalog.pg_class AS r
JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) r.relnamespace
WHERE r.oid OPERATOR(pg_catalog.=) COALESCE(pg_catalog.pg_partition_root(TG_RELID), TG_RELID)
