-- Replaces the recorded checksum of an applied migration whose text changed in a way known
-- to leave the schema as it was (release 0.1 embedded the context functions in migration 1).
-- @ident schema the audit schema
UPDATE {{schema}}.pg_audit_migrations SET checksum = $2 WHERE version = $1
