-- Statement-level audit triggers of a keyed table (or of one partition of it, so direct
-- writes to the partition are audited too: a statement on the parent fires only the
-- parent's statement triggers). ENABLE ALWAYS: session_replication_role = replica
-- (pg_restore, some tools) must not bypass auditing.
-- @ident schema the audit schema
-- @ident function_name the table's audit function
-- @ident table_schema schema of the table the triggers go on
-- @ident table_name table the triggers go on
CREATE TRIGGER pg_audit_insert
AFTER INSERT ON {{table_schema}}.{{table_name}}
REFERENCING NEW TABLE AS pg_audit_new
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.{{function_name}}();
CREATE TRIGGER pg_audit_update
AFTER UPDATE ON {{table_schema}}.{{table_name}}
REFERENCING OLD TABLE AS pg_audit_old NEW TABLE AS pg_audit_new
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.{{function_name}}();
CREATE TRIGGER pg_audit_delete
AFTER DELETE ON {{table_schema}}.{{table_name}}
REFERENCING OLD TABLE AS pg_audit_old
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.{{function_name}}();
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_insert;
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_update;
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_delete;
