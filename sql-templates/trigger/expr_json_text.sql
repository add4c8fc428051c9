-- A jsonb value as JSON text.
-- @fragment value the jsonb value
({{value}})::text
