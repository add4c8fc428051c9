-- record_id of a single-column key: the key's value as text.
-- @fragment value the row as jsonb
-- @literal column the key column
({{value}} ->> {{column}})
