-- Reverts migration 2: the plain request_id index instead of the unique key.
-- @ident schema the audit schema
CREATE INDEX IF NOT EXISTS pg_api_audit_log_request_idx ON {{schema}}.pg_api_audit_log (request_id);
DROP INDEX IF EXISTS {{schema}}.pg_api_audit_log_request_key;
