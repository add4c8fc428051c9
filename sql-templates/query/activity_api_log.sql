-- The viewer's activity chart of the Requests page: how many of the newest matching API
-- requests fall in each time bucket, per status class (`2xx` …; `other` for a missing or
-- out-of-range code). Filters $1–$9 are those of query_api_log.sql; the window ($8, $9)
-- is always given. At most $10 rows are counted, newest first; the grouping set () adds
-- one total row (bucket and series NULL) with the number counted and the time of the
-- oldest. Buckets are $11 seconds wide, aligned to whole UTC hours and days.
-- @ident audit_schema      the audit schema
-- @fragment order_by       id DESC, or id + 0 DESC to read a window long ago first
WITH counted AS (
    SELECT created_at, response_code
    FROM {{audit_schema}}.pg_api_audit_log
    WHERE ($1::text IS NULL OR api_name = $1)
      AND ($2::text IS NULL OR http_method = $2)
      AND ($3::integer IS NULL OR response_code >= $3)
      AND ($4::integer IS NULL OR response_code < $4)
      AND ($5::text IS NULL OR user_id = $5)
      AND ($6::double precision IS NULL OR duration_ms >= $6)
      AND ($7::uuid IS NULL OR request_id = $7)
      AND created_at >= $8::timestamptz
      AND created_at < $9::timestamptz
    ORDER BY {{order_by}}
    LIMIT $10
)
SELECT
    date_bin($11::bigint * INTERVAL '1 second', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
    CASE WHEN response_code >= 100 AND response_code < 600
         THEN (response_code / 100)::text || 'xx'
         ELSE 'other'
    END AS series,
    count(*) AS n,
    min(created_at) AS oldest
FROM counted
GROUP BY GROUPING SETS ((1, 2), ())
