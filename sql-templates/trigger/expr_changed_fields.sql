-- The columns whose values differ between two versions of a row, as text[]. Identical rows
-- cost one comparison; otherwise the columns known at attach time are compared by key, and
-- only when none of them differs (a column added since, or only ignored columns changed)
-- are all keys compared.
-- @fragment old_value the old row as jsonb
-- @fragment new_value the new row as jsonb
-- @fragment known one CASE per known column, yielding its name when it differs
-- @fragment ignored_filter empty, or a condition leaving out ignored columns
CASE
    WHEN {{old_value}} = {{new_value}} THEN '{}'::text[]
    ELSE COALESCE(
        NULLIF(array_remove(ARRAY[{{known}}]::text[], NULL), '{}'::text[]),
        ARRAY(
            SELECT e.key
            FROM jsonb_each({{new_value}}) AS e
            WHERE e.value IS DISTINCT FROM {{old_value}} -> e.key{{ignored_filter}}
        )
    )
END
