-- Drops a table's audit function once its triggers are gone.
-- @ident schema the audit schema
-- @ident function_name the function
DROP FUNCTION IF EXISTS {{schema}}.{{function_name}}();
