-- The settings the application declared.
-- @ident schema the audit schema
SELECT name, value FROM {{schema}}.pg_audit_settings ORDER BY name
