-- Reverts migration 4: the audit role loses its grants here. The role itself is kept: roles
-- belong to the whole cluster, other databases may use it, and dropping it could race a
-- migrate run elsewhere. `DROP ROLE <schema>_writer` removes it once no database does.
-- @ident schema the audit schema
-- @ident role the audit role
REVOKE ALL ON {{schema}}.pg_audit_log FROM {{role}};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{schema}} FROM {{role}};
REVOKE ALL ON SCHEMA {{schema}} FROM {{role}};
