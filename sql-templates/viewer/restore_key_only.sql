-- Brings back a row of an audited table whose restorable columns are all key columns (the
-- row an INSERT or UPDATE left): inserts it unless a row with its key exists, which then is
-- that version already. Shown on the viewer's record page; pg-audit never runs it.
-- @ident schema        the table's schema
-- @ident table         the table
-- @idents key          the primary-key columns
-- @literal row         the recorded row, as JSON
INSERT INTO {{schema}}.{{table}} ({{key}})
OVERRIDING SYSTEM VALUE
SELECT {{key}}
FROM jsonb_populate_record(NULL::{{schema}}.{{table}}, {{row}}::jsonb)
ON CONFLICT ({{key}}) DO NOTHING
