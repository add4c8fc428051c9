-- The columns whose values differ between two versions of a row, as text[].
-- @fragment old_value the old row as jsonb
-- @fragment new_value the new row as jsonb
-- @fragment ignored_filter empty, or a condition leaving out ignored columns
ARRAY(
    SELECT e.key
    FROM jsonb_each({{new_value}}) AS e
    WHERE e.value IS DISTINCT FROM {{old_value}} -> e.key{{ignored_filter}}
)
