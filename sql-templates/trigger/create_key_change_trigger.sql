-- Row-level trigger for UPDATEs that change a primary key: such rows cannot be paired by
-- key across transition tables. It costs nothing unless a key column is in the SET list.
-- @ident schema the audit schema
-- @ident function_name the table's audit function
-- @ident table_schema schema of the audited table
-- @ident table_name the audited table
-- @idents key_columns the primary-key columns
-- @fragment key_changed OLD.k IS DISTINCT FROM NEW.k for each key column, OR-ed
CREATE TRIGGER pg_audit_key_change
AFTER UPDATE OF {{key_columns}} ON {{table_schema}}.{{table_name}}
FOR EACH ROW
WHEN ({{key_changed}})
EXECUTE FUNCTION {{schema}}.{{function_name}}();
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_key_change;
