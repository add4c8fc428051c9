-- Ends one batch of a baseline: back to the connected role, the grant revoked.
-- @ident table_schema the table's schema
-- @ident table_name the table
-- @ident role the audit role
SET LOCAL ROLE NONE;
REVOKE SELECT, UPDATE ON {{table_schema}}.{{table_name}} FROM {{role}};
