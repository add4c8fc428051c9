-- Reverts migration 5: the logs without their B-tree (time, id) indexes; the data log's
-- BRIN index of migration 1 still serves its time ranges, and the API log gets its
-- (created_at) index of migration 1 back.
-- @ident schema the audit schema
CREATE INDEX IF NOT EXISTS pg_api_audit_log_created_at_idx ON {{schema}}.pg_api_audit_log (created_at);
DROP INDEX IF EXISTS {{schema}}.pg_api_audit_log_time_idx;
DROP INDEX IF EXISTS {{schema}}.pg_audit_log_time_idx;
