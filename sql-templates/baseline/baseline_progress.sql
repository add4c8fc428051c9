-- Records a batch of a baseline ($1 schema, $2 table, $3 last key or NULL, $4 rows, $5
-- whether it was the last batch).
-- @ident schema the audit schema
INSERT INTO {{schema}}.pg_audit_baselines AS b (schema_name, table_name, last_key, rows_recorded, finished_at)
VALUES ($1, $2, $3, $4, CASE WHEN $5 THEN pg_catalog.now() END)
ON CONFLICT (schema_name, table_name) DO UPDATE
SET last_key = COALESCE(EXCLUDED.last_key, b.last_key),
    rows_recorded = b.rows_recorded + EXCLUDED.rows_recorded,
    finished_at = EXCLUDED.finished_at
