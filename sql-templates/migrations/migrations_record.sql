-- Records one applied migration.
-- @ident schema the audit schema
INSERT INTO {{schema}}.pg_audit_migrations (version, name, checksum, schema_created)
VALUES ($1, $2, $3, $4)
