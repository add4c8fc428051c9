-- Every baseline begun: table, last key, rows recorded, when it finished (NULL: unfinished).
-- @ident schema the audit schema
SELECT schema_name, table_name, last_key, rows_recorded, finished_at
FROM {{schema}}.pg_audit_baselines
ORDER BY schema_name, table_name
