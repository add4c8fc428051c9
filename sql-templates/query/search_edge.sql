-- Where a bounded search of a log stops: the id of the $3-th row of the range ($1: ids
-- below, $2: ids above, NULL for none) in the order the search walks it, and when that row
-- was written; no row when the range holds fewer. The walk reads the primary key alone, so
-- the search's rows are then read within a range of at most $3 ids.
-- @ident audit_schema the audit schema
-- @ident log          the log: pg_audit_log or pg_api_audit_log
-- @ident time         its time column: updated_at or created_at
-- @fragment order_by  id DESC, or id ASC for a search towards newer rows
SELECT edge.id, logged.{{time}} AS at
FROM (
    SELECT id
    FROM {{audit_schema}}.{{log}}
    WHERE ($1::bigint IS NULL OR id < $1)
      AND ($2::bigint IS NULL OR id > $2)
    ORDER BY {{order_by}}
    OFFSET $3::bigint - 1
    LIMIT 1
) AS edge
JOIN {{audit_schema}}.{{log}} AS logged ON logged.id = edge.id
