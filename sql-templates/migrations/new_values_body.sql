-- Body of pg_audit_new_values(old_row, new_row): an UPDATE's new row without the keys whose
-- value is the old row's, which the view pg_audit_log adds back.
SELECT CASE WHEN new_row IS NULL THEN NULL ELSE coalesce((
    SELECT jsonb_object_agg(e.key, e.value)
    FROM jsonb_each(new_row) AS e
    WHERE (old_row -> e.key) IS DISTINCT FROM e.value), '{}'::jsonb) END
