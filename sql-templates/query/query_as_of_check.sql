-- Whether a table's rows can be rebuilt as of a time ($1 schema, $2 table, $3 the time):
-- when its baseline finished (NULL: none, or unfinished), and whether one of its partitions
-- was truncated by then (the trail does not say which rows that partition held).
-- @ident audit_schema the audit schema
SELECT (SELECT b.finished_at FROM {{audit_schema}}.pg_audit_baselines AS b
        WHERE b.schema_name = $1 AND b.table_name = $2) AS baseline_finished,
       EXISTS (
           SELECT 1 FROM {{audit_schema}}.pg_audit_log AS l
           WHERE l.schema_name = $1 AND l.table_name = $2
             AND l.operation = 'TRUNCATE' AND l.updated_at <= $3
             AND l.context ? 'partition') AS partition_truncated
