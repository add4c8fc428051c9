-- Benchmark: empties a table between bulk rounds.
-- @ident table_schema the table's schema
-- @ident table_name the table
TRUNCATE {{table_schema}}.{{table_name}}
