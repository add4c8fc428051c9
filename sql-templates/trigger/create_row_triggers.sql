-- Row-level audit triggers of a table without a primary key. The UPDATE trigger skips rows
-- whose text form did not change before any PL/pgSQL runs (a row comparison would fail on
-- columns without an equality operator, such as json).
-- @ident schema the audit schema
-- @ident function_name the table's audit function
-- @ident table_schema schema of the audited table
-- @ident table_name the audited table
CREATE TRIGGER pg_audit_row
AFTER INSERT OR DELETE ON {{table_schema}}.{{table_name}}
FOR EACH ROW EXECUTE FUNCTION {{schema}}.{{function_name}}();
CREATE TRIGGER pg_audit_row_update
AFTER UPDATE ON {{table_schema}}.{{table_name}}
FOR EACH ROW
WHEN (OLD::text IS DISTINCT FROM NEW::text)
EXECUTE FUNCTION {{schema}}.{{function_name}}();
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_row;
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_row_update;
