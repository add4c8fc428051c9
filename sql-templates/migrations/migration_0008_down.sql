-- Reverts migration 8: the log's relations without their comments (the trigger bodies of
-- migration 8 work on the schema of migration 7 as well).
-- @ident schema the audit schema
COMMENT ON VIEW {{schema}}.pg_audit_log IS NULL;
COMMENT ON TABLE {{schema}}.pg_audit_log_data IS NULL;
COMMENT ON TABLE {{schema}}.pg_api_audit_log IS NULL;
