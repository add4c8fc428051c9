-- Drops the functions of the DDL trail and the automatic attach (their event triggers
-- first: see drop_event_trigger).
-- @ident schema the audit schema
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_sync_drop();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_sync_ddl();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_trail_drop();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_trail_ddl();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_sync_table(oid, text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_forget_gone_tables();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_tables_sharing_functions(oid[]);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_ddl_suppressed();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_triggers_not_enabled_always(oid);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_is_audited(oid);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_table_rules(text, text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_render_table(oid, text[], text[], boolean);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_function_name(text, text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_fill(text, text[], text[]);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_stable_hash(bytea);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_quote_dollar(text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_quote_literal(text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_quote_ident(text);
