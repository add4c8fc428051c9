-- Benchmark: one INSERT of the rows with ids $1..$2.
-- @ident table_schema the table's schema
-- @ident table_name the table
INSERT INTO {{table_schema}}.{{table_name}} (id, customer, total, status, updated_at)
SELECT g, 'customer ' || (g % 5000), (g % 100000) / 100.0, 'new', now()
FROM generate_series($1::bigint, $2::bigint) AS g
