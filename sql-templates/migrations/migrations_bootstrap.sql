-- Creates the audit schema when missing and the table recording applied migrations.
-- @ident schema the audit schema
CREATE SCHEMA IF NOT EXISTS {{schema}};
CREATE TABLE IF NOT EXISTS {{schema}}.pg_audit_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    checksum text NOT NULL,
    schema_created boolean NOT NULL DEFAULT false,
    applied_at timestamptz NOT NULL DEFAULT now()
);
