-- Removes the migrations table after every migration was reverted.
-- @ident schema the audit schema
DROP TABLE IF EXISTS {{schema}}.pg_audit_migrations
