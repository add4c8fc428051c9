-- One key column's value, taken from the row's jsonb (no column is referenced by name in
-- SQL, so renaming or dropping other columns never breaks the trigger).
-- @fragment value the row as jsonb
-- @literal column the key column
({{value}} -> {{column}})
