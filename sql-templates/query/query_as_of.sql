-- A table's rows as they were at a time ($1 schema, $2 table, $3 the time; $4 one record id
-- or NULL for all), rebuilt from the trail: for each record, its last INSERT, UPDATE,
-- DELETE or SNAPSHOT row written by a statement at or before the time (a DELETE: gone),
-- unless a TRUNCATE of the table came after it. An UPDATE that changed the key also ends
-- the old record (its id computed from old_data as the trigger computes it); the rows of one
-- statement (one transaction and statement time) end old records before they make new ones,
-- so keys swapped by one UPDATE come out right. Correct from the end of the table's
-- baseline on, when every row it held has a SNAPSHOT row or a later change.
-- @ident audit_schema the audit schema
-- @fragment record_key $4 as the log stores a record id (expr_record_key)
-- @fragment old_record_id the record id over l.old_data
WITH last_truncate AS (
    SELECT max(l.id) AS id
    FROM {{audit_schema}}.pg_audit_log AS l
    WHERE l.schema_name = $1 AND l.table_name = $2
      AND l.operation = 'TRUNCATE' AND l.updated_at <= $3
), changes AS (
    SELECT l.*, pg_catalog.min(l.id) OVER (PARTITION BY l.transaction_id, l.updated_at) AS statement_id
    FROM {{audit_schema}}.pg_audit_log AS l
    WHERE l.schema_name = $1 AND l.table_name = $2
      AND l.operation IN ('INSERT', 'UPDATE', 'DELETE', 'SNAPSHOT')
      AND l.updated_at <= $3
      AND l.id > COALESCE((SELECT t.id FROM last_truncate AS t), 0)
), events AS (
    SELECT c.record_id, c.operation, c.new_data, c.updated_at, c.statement_id, 1 AS step, c.id
    FROM changes AS c
    UNION ALL
    SELECT {{old_record_id}}, 'DELETE', NULL, l.updated_at, l.statement_id, 0, l.id
    FROM changes AS l
    WHERE l.operation = 'UPDATE' AND {{old_record_id}} IS DISTINCT FROM l.record_id
), latest AS (
    SELECT DISTINCT ON (e.record_id) e.record_id, e.operation, e.new_data, e.updated_at
    FROM events AS e
    WHERE e.record_id IS NOT NULL
      AND ($4::text IS NULL OR e.record_id = {{record_key}})
    ORDER BY e.record_id, e.statement_id DESC, e.step DESC, e.id DESC
)
SELECT latest.record_id, latest.new_data AS row_data, latest.updated_at AS changed_at
FROM latest
WHERE latest.operation <> 'DELETE'
ORDER BY latest.record_id
