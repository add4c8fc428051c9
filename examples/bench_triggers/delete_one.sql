-- Benchmark: one single-row DELETE.
-- @ident table_schema the table's schema
-- @ident table_name the table
DELETE FROM {{table_schema}}.{{table_name}} WHERE id = $1
