-- Brings a row of an audited table back to the version a DELETE recorded: no row with its
-- key. Shown on the viewer's record page for a person to review and run; pg-audit never
-- runs it. The key values are read from the row as it was before the delete.
-- @ident schema        the table's schema
-- @ident table         the table
-- @idents key          the primary-key columns
-- @literal row         the row before the delete, as JSON
DELETE FROM {{schema}}.{{table}}
WHERE ({{key}}) = (
    SELECT {{key}}
    FROM jsonb_populate_record(NULL::{{schema}}.{{table}}, {{row}}::jsonb)
)
