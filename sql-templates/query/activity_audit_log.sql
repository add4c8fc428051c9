-- The viewer's activity chart of the Changes page: how many audit rows of the window
-- ($8, $9) that match the Changes filters ($1–$7, as in query_audit_log.sql: a NULL
-- parameter turns its condition into TRUE) fall in each time bucket, per operation.
-- At most $10 rows of the window are read, newest first, so a chart costs the same on a
-- log of any size and wherever its window lies. With $12 true (a filter served by an index: request, record, user) the
-- filters select the rows read; otherwise the newest $10 rows of the window are read and
-- the filters pick among them, so a filter matching few rows cannot make the read walk the
-- whole log. The grouping set () adds one total row (bucket and series NULL) with the rows
-- matched, the rows read and the time of the oldest read, which tells the page how far back
-- the count reaches. Buckets are $11 seconds wide, aligned to whole UTC hours and days.
-- Run unnamed, as query_audit_log.sql is, so the mode and the unused filters fold away.
-- @ident audit_schema      the audit schema
-- @fragment record_key     $3 as the log stores a record id (expr_record_key)
-- @fragment order_by       updated_at DESC (through the time index, stopping at $10), or id DESC / id + 0 DESC for rows an index selects
WITH examined AS (
    SELECT updated_at, operation, matches
    FROM (
        SELECT
            id,
            updated_at,
            operation,
            ($1::text IS NULL OR schema_name = $1)
              AND ($2::text IS NULL OR table_name = $2)
              AND ($3::text IS NULL OR record_id = {{record_key}})
              AND ($4::uuid IS NULL OR request_id = $4)
              AND ($5::text IS NULL OR updated_by = $5)
              AND ($6::text IS NULL OR operation = $6)
              AND ($7::boolean IS NOT TRUE OR is_db_user) AS matches
        FROM {{audit_schema}}.pg_audit_log
        WHERE updated_at >= $8::timestamptz
          AND updated_at < $9::timestamptz
    ) AS windowed
    WHERE $12::boolean IS NOT TRUE OR matches
    ORDER BY {{order_by}}
    LIMIT $10
)
SELECT
    date_bin($11::bigint * INTERVAL '1 second', updated_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
    operation AS series,
    count(*) FILTER (WHERE matches) AS n,
    count(*) AS examined,
    min(updated_at) AS oldest
FROM examined
GROUP BY GROUPING SETS ((1, 2), ())
