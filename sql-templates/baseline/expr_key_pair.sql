-- One key column of a jsonb key object: its name, then its value.
-- @literal name the key column
-- @fragment value its value
{{name}}, {{value}}
