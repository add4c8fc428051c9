-- The changed columns of a table with json (not jsonb) columns: those whose jsonb value
-- differs, then each json column whose jsonb value is equal but whose text changed
-- (whitespace, key order, a duplicate key), which the row's jsonb cannot tell apart.
-- @fragment changed the columns whose jsonb value differs, as text[]
-- @fragment json_changed one CASE per json column, yielding its name when only its text differs
(pg_catalog.array_cat({{changed}}, pg_catalog.array_remove(ARRAY[{{json_changed}}]::text[], NULL)))
