-- Lets the audit role read and lock a table's rows for one batch of its baseline; revoked
-- before the batch commits (baseline_revoke), so no other transaction ever sees the grant.
-- @ident table_schema the table's schema
-- @ident table_name the table
-- @ident role the audit role
GRANT SELECT, UPDATE ON {{table_schema}}.{{table_name}} TO {{role}};
SET LOCAL ROLE {{role}};
