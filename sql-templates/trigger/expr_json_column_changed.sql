-- One json column's name when its text differs between two versions of a row while its
-- jsonb value does not (row_to_json keeps a json value's text as stored).
-- @fragment old_value the old row as jsonb
-- @fragment new_value the new row as jsonb
-- @fragment old_text the old row as json
-- @fragment new_text the new row as json
-- @literal column the json column
CASE WHEN ({{old_value}} -> {{column}}) IS NOT DISTINCT FROM ({{new_value}} -> {{column}})
      AND (({{old_text}} -> {{column}})::text) IS DISTINCT FROM (({{new_text}} -> {{column}})::text)
     THEN {{column}} END
