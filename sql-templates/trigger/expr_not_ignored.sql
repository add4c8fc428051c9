-- Leaves ignored columns out of changed_fields.
-- @literals columns the ignored columns
 AND e.key <> ALL (ARRAY[{{columns}}]::text[])
