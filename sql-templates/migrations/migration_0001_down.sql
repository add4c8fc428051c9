-- Reverts migration 1. The per-table triggers and their functions are dropped before this
-- runs; application tables are never touched.
-- @ident schema the audit schema
DROP TABLE IF EXISTS {{schema}}.pg_audit_log;
DROP TABLE IF EXISTS {{schema}}.pg_api_audit_log;
DROP TABLE IF EXISTS {{schema}}.pg_audit_tables;
DROP TABLE IF EXISTS {{schema}}.pg_audit_settings;
DROP TABLE IF EXISTS {{schema}}.pg_audit_moved_keys;
DROP TABLE IF EXISTS {{schema}}.pg_audit_retention_tokens;
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_purge(timestamptz);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_reject_change();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_context();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_is_json(text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_truncate_context(jsonb, name, name, text, text);
