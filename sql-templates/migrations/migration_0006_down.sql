-- Reverts migration 6. The event triggers and their functions go first (they call the
-- functions dropped here); DDL and SNAPSHOT rows are kept, so the old CHECK comes back NOT
-- VALID when the log holds any.
-- @ident schema the audit schema
-- @fragment drop_event_functions rendered event_functions_drop
{{drop_event_functions}}
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_record(text, text, text, text[], jsonb[]);
DROP TABLE IF EXISTS {{schema}}.pg_audit_baselines;
DROP TABLE IF EXISTS {{schema}}.pg_audit_ddl_tokens;
ALTER TABLE {{schema}}.pg_audit_log DROP CONSTRAINT IF EXISTS pg_audit_log_operation_check;
ALTER TABLE {{schema}}.pg_audit_log ADD CONSTRAINT pg_audit_log_operation_check
    CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')) NOT VALID;
