-- Requests $1 to $2 of the seeded API log of $6 requests, beside a data log of $3 rows
-- written from $4 to $5 (seed_changes.sql). Request k is the request of the data log's
-- transaction k × ($3 / 3) / $6, logged just before that transaction's rows, with its id,
-- path, method, user and address: so requests are spread over the log's time as its rows
-- are, and a request that changed rows links to them (half the data log's requests are not
-- logged, as a GET or an excluded path is not). 2 % answer 5xx and 8 % 404; durations are
-- spread over 0–1000 ms, but a 5xx fails within 500 ms, so "5xx slower than 995 ms"
-- matches nothing.
INSERT INTO audit.pg_api_audit_log (
    request_id, api_name, http_method, request_payload, response_body, response_code,
    user_id, ip_address, created_at, duration_ms
)
SELECT md5('request ' || q.t)::uuid,
       (ARRAY['/orders', '/orders/{id}', '/customers/{id}', '/invoices', '/products/{id}', '/shipments/{id}'])[1 + q.who / 100000 % 6],
       (ARRAY['POST', 'PATCH', 'PUT', 'DELETE'])[1 + q.who / 1000000 % 4],
       jsonb_build_object('qty', q.outcome % 100, 'password', '********'),
       jsonb_build_object('id', q.t, 'status', CASE WHEN s.code < 400 THEN 'ok' ELSE 'error' END),
       s.code,
       'user' || (q.who / 10 % 10000),
       '203.0.113.0'::inet + (q.who / 100 % 250),
       $4::timestamptz + ($5::timestamptz - $4::timestamptz) * ((3 * q.t)::float8 / $3::bigint) - interval '5 milliseconds',
       CASE WHEN s.code >= 500 THEN q.outcome / 100 % 500 ELSE q.outcome / 100 % 1000 END + 0.5
FROM (
    SELECT k * ($3::bigint / 3) / $6::bigint AS t,
           hashint8extended(k * ($3::bigint / 3) / $6::bigint, 3) & 9223372036854775807 AS who,
           hashint8extended(k, 4) & 9223372036854775807 AS outcome
    FROM generate_series($1::bigint, $2::bigint) AS k
) AS q
CROSS JOIN LATERAL (
    SELECT CASE WHEN q.outcome % 50 = 0 THEN 500 WHEN q.outcome % 10 = 0 THEN 404 ELSE 200 END AS code
) AS s
