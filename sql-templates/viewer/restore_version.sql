-- Brings a row of an audited table back to one version the audit log recorded (the row an
-- INSERT or UPDATE left): inserts it, or, when a row with its key exists, sets its other
-- columns to the recorded values. Shown on the viewer's record page for a person to review
-- and run; pg-audit never runs it. Each value is read from the recorded row by
-- jsonb_populate_record, so it is cast to its column's current type; an identity column
-- takes the recorded value.
-- @ident schema        the table's schema
-- @ident table         the table
-- @idents columns      the columns to restore: recorded, still in the table, not masked
-- @idents key          the primary-key columns
-- @idents others       the columns to restore that are not key columns (at least one)
-- @literal row         the recorded row, as JSON
INSERT INTO {{schema}}.{{table}} ({{columns}})
OVERRIDING SYSTEM VALUE
SELECT {{columns}}
FROM jsonb_populate_record(NULL::{{schema}}.{{table}}, {{row}}::jsonb)
ON CONFLICT ({{key}}) DO UPDATE
SET ({{others}}) = (
    SELECT {{others}}
    FROM jsonb_populate_record(NULL::{{schema}}.{{table}}, {{row}}::jsonb)
)
