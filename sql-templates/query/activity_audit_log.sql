-- The viewer's activity chart of the Changes page: how many of the newest matching audit
-- rows fall in each time bucket, per operation. Filters $1–$9 are those of
-- query_audit_log.sql (a NULL parameter turns its condition into TRUE); the window
-- ($8, $9) is always given. At most $10 rows are counted, newest first, so the chart costs
-- the same on any log; the grouping set () adds one total row (bucket and series NULL)
-- with the number of rows counted and the time of the oldest, which tells the page how
-- far back the count reaches. Buckets are $11 seconds wide, aligned to whole UTC hours and
-- days. Run unnamed, as query_audit_log.sql is.
-- @ident audit_schema      the audit schema
-- @fragment order_by       id DESC, or id + 0 DESC to read a window long ago first
WITH counted AS (
    SELECT updated_at, operation
    FROM {{audit_schema}}.pg_audit_log
    WHERE ($1::text IS NULL OR schema_name = $1)
      AND ($2::text IS NULL OR table_name = $2)
      AND ($3::text IS NULL OR record_id = $3)
      AND ($4::uuid IS NULL OR request_id = $4)
      AND ($5::text IS NULL OR updated_by = $5)
      AND ($6::text IS NULL OR operation = $6)
      AND ($7::boolean IS NOT TRUE OR is_db_user)
      AND updated_at >= $8::timestamptz
      AND updated_at < $9::timestamptz
    ORDER BY {{order_by}}
    LIMIT $10
)
SELECT
    date_bin($11::bigint * INTERVAL '1 second', updated_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
    operation AS series,
    count(*) AS n,
    min(updated_at) AS oldest
FROM counted
GROUP BY GROUPING SETS ((1, 2), ())
