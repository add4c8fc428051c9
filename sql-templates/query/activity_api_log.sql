-- The viewer's activity chart of the Requests page: how many API requests of the window
-- ($8, $9) that match the Requests filters ($1–$7, as in query_api_log.sql) fall in each
-- time bucket, per status class (`2xx` …; `other` for a missing or out-of-range code). The
-- newest $10 requests of the window are read (through the time index, wherever the window
-- lies) and the filters pick among them, so a chart costs the same on a log of any size
-- and a filter matching few requests cannot make the read walk the whole log. The
-- grouping set () adds one total row (bucket and series NULL) with the requests matched,
-- the requests read and the time of the oldest read. Buckets are $11 seconds wide,
-- aligned to whole UTC hours and days.
-- @ident audit_schema      the audit schema
WITH examined AS (
    SELECT
        created_at,
        response_code,
        ($1::text IS NULL OR api_name = $1)
          AND ($2::text IS NULL OR http_method = $2)
          AND ($3::integer IS NULL OR response_code >= $3)
          AND ($4::integer IS NULL OR response_code < $4)
          AND ($5::text IS NULL OR user_id = $5)
          AND ($6::double precision IS NULL OR duration_ms >= $6)
          AND ($7::uuid IS NULL OR request_id = $7) AS matches
    FROM {{audit_schema}}.pg_api_audit_log
    WHERE created_at >= $8::timestamptz
      AND created_at < $9::timestamptz
    ORDER BY created_at DESC
    LIMIT $10
)
SELECT
    date_bin($11::bigint * INTERVAL '1 second', created_at, TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket,
    CASE WHEN response_code >= 100 AND response_code < 600
         THEN (response_code / 100)::text || 'xx'
         ELSE 'other'
    END AS series,
    count(*) FILTER (WHERE matches) AS n,
    count(*) AS examined,
    min(created_at) AS oldest
FROM examined
GROUP BY GROUPING SETS ((1, 2), ())
