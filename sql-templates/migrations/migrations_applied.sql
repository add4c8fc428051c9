-- Migrations applied so far, oldest first.
-- @ident schema the audit schema
SELECT version, name, checksum, schema_created
FROM {{schema}}.pg_audit_migrations
ORDER BY version
