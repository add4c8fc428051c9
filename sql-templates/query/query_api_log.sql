-- One page of the API request log, in id order (newest first with DESC; order_by may write
-- `id + 0` to steer the plan, see query::Cursor::order_by). Every filter is
-- optional: a NULL parameter turns its condition into TRUE. Run as an unnamed statement so
-- each execution is planned with its actual values (see query_audit_log.sql). The status
-- filter is a half-open range [$3, $4) built from a status class and a minimum status.
-- @ident audit_schema      the audit schema
-- @fragment order_by       id DESC / id ASC, or id + 0 DESC / ASC to read a time window first
-- @fragment selected       TRUE, or id = ANY($13): only the rows an index selected (query::search)
SELECT
    id,
    request_id,
    api_name,
    http_method,
    request_payload,
    response_body,
    response_code,
    user_id,
    host(ip_address)::inet AS ip_address,
    created_at,
    duration_ms
FROM {{audit_schema}}.pg_api_audit_log
WHERE ($1::text IS NULL OR api_name = $1)
  AND ($2::text IS NULL OR http_method = $2)
  AND ($3::integer IS NULL OR response_code >= $3)
  AND ($4::integer IS NULL OR response_code < $4)
  AND ($5::text IS NULL OR user_id = $5)
  AND ($6::double precision IS NULL OR duration_ms >= $6)
  AND ($7::uuid IS NULL OR request_id = $7)
  AND ($8::timestamptz IS NULL OR created_at >= $8)
  AND ($9::timestamptz IS NULL OR created_at < $9)
  AND ($10::bigint IS NULL OR id < $10)
  AND ($11::bigint IS NULL OR id > $11)
  AND {{selected}}
ORDER BY {{order_by}}
LIMIT $12
