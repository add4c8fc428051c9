-- A table's rows as they were at a time ($1 schema, $2 table, $3 the time; $4 one record id
-- or NULL for all), rebuilt from the trail: for each record, its last INSERT, UPDATE,
-- DELETE or SNAPSHOT row written by a statement at or before the time (a DELETE: gone),
-- unless a TRUNCATE of the table came after it. Correct from the end of the table's
-- baseline on, when every row it held has a SNAPSHOT row or a later change. Uses the record
-- index (schema_name, table_name, record_id, id).
-- @ident audit_schema the audit schema
-- @fragment record_key $4 as the log stores a record id (expr_record_key)
WITH last_truncate AS (
    SELECT max(l.id) AS id
    FROM {{audit_schema}}.pg_audit_log AS l
    WHERE l.schema_name = $1 AND l.table_name = $2
      AND l.operation = 'TRUNCATE' AND l.updated_at <= $3
), latest AS (
    SELECT DISTINCT ON (l.record_id) l.record_id, l.operation, l.new_data, l.id, l.updated_at
    FROM {{audit_schema}}.pg_audit_log AS l
    WHERE l.schema_name = $1 AND l.table_name = $2
      AND l.record_id IS NOT NULL
      AND ($4::text IS NULL OR l.record_id = {{record_key}})
      AND l.operation IN ('INSERT', 'UPDATE', 'DELETE', 'SNAPSHOT')
      AND l.updated_at <= $3
    ORDER BY l.record_id, l.id DESC
)
SELECT latest.record_id, latest.new_data AS row_data, latest.updated_at AS changed_at
FROM latest
WHERE latest.operation <> 'DELETE'
  AND latest.id > COALESCE((SELECT t.id FROM last_truncate AS t), 0)
ORDER BY latest.record_id
