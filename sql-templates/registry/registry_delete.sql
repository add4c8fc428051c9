-- Forgets a table that no longer exists.
-- @ident schema the audit schema
DELETE FROM {{schema}}.pg_audit_tables WHERE schema_name = $1 AND table_name = $2
