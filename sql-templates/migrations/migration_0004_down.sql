-- Reverts migration 4: the audit role loses its grants here, and is dropped unless another
-- database still grants it something (roles belong to the whole cluster).
-- @ident schema the audit schema
-- @ident role the audit role
-- @dollar drop_role rendered migration_0004_drop_role_body
REVOKE ALL ON {{schema}}.pg_audit_log FROM {{role}};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA {{schema}} FROM {{role}};
REVOKE ALL ON SCHEMA {{schema}} FROM {{role}};
DO {{drop_role}};
