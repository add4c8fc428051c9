-- Records TRUNCATE. On a partitioned table it goes on each leaf partition instead of the
-- parent: TRUNCATE of the parent fires the partitions' triggers too, so this records each
-- truncated partition once, and direct TRUNCATEs of a partition as well.
-- @ident schema the audit schema
-- @ident function_name the table's audit function
-- @ident table_schema schema of the table the trigger goes on
-- @ident table_name table the trigger goes on
CREATE TRIGGER pg_audit_truncate
AFTER TRUNCATE ON {{table_schema}}.{{table_name}}
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.{{function_name}}();
ALTER TABLE {{table_schema}}.{{table_name}} ENABLE ALWAYS TRIGGER pg_audit_truncate;
