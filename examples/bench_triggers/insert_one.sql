-- Benchmark: one single-row INSERT.
-- @ident table_schema the table's schema
-- @ident table_name the table
INSERT INTO {{table_schema}}.{{table_name}} (id, customer, total, status, updated_at)
VALUES ($1, 'customer ' || ($1 % 5000), ($1 % 100000) / 100.0, 'new', now())
