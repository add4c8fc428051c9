-- Benchmark: one single-row UPDATE changing two columns.
-- @ident table_schema the table's schema
-- @ident table_name the table
UPDATE {{table_schema}}.{{table_name}} SET status = 'paid', total = total + 1, updated_at = now() WHERE id = $1
