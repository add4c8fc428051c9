-- Migration 4: the audit role. A NOLOGIN role that owns the trigger functions (attach hands
-- them over), so nothing a table owner or an application role can make a trigger run — a
-- cast to json of a column's type, an operator, a function — runs with more rights than
-- this role's: INSERT on the audit log, EXECUTE on the context functions, USAGE on the
-- audit schema. The audit tables stay owned by the role that ran migrate.
-- @ident schema the audit schema
-- @ident role the audit role
-- @dollar body rendered migration_0004_role_body
DO {{body}};
GRANT USAGE ON SCHEMA {{schema}} TO {{role}};
GRANT INSERT ON {{schema}}.pg_audit_log TO {{role}};
