-- Every partition of both logs with its bounds and its estimated row count (the planner's,
-- so reading it costs nothing), oldest first.
-- @ident schema the audit schema
SELECT p.log_table, p.partition_name, p.lower_bound, p.upper_bound, p.is_default,
       greatest(c.reltuples, 0)::bigint AS estimated_rows
FROM {{schema}}.pg_audit_partitions() AS p
JOIN pg_catalog.pg_class AS c ON c.relname = p.partition_name
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace AND n.nspname = $1
ORDER BY p.log_table, p.is_default, p.upper_bound NULLS LAST
