-- One known column's name when its value is the same in two versions of a row.
-- @fragment old_value the old row as jsonb
-- @fragment new_value the new row as jsonb
-- @literal column the column
CASE WHEN ({{old_value}} -> {{column}}) = ({{new_value}} -> {{column}}) THEN {{column}} END
