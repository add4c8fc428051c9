-- Rows $1 to $2 of the seeded data log of $3 rows, written at times spread evenly from $4 to
-- $5, in row order (so ids follow time, as the triggers leave them). Written straight into
-- the stored log, as the triggers write it: an INSERT's new row, a DELETE's old row, an
-- UPDATE's whole old row with only the one or two values it changed in new_values (the view
-- pg_audit_log gives the whole new row back). Every $6-th row is a change of the hot record
-- (public.orders, id "hot"), the first its INSERT.
--
-- The mix: 60 % INSERT, 30 % UPDATE, 10 % DELETE (invoices are never deleted, so that
-- filter combination matches nothing); 200 tables, half the rows in five busy ones
-- (1,000,000 records each) and half in 193 others (20,000 records each), one row in
-- 10,007 in the rare table refunds and one in 1,111 in coupons (18,000 rows of a
-- 20,000,000-row log: just fewer than the 20,000 the viewer's search reads through an
-- index, its costliest indexed filter). Rows come three to a transaction, which decides who
-- wrote them: 30 % direct database writes (no user, no request), 10 % the application
-- outside a request, 60 % in an API request (its id, path and method), by one of 10,000
-- users. Each hash below draws one independent choice from the row (or its transaction).
INSERT INTO audit.pg_audit_log_data (
    schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
    ip_address, updated_at, updated_by, is_db_user, db_user, application_name,
    api_name, http_method, request_id, transaction_id, context
)
SELECT 'public',
       t.table_name,
       o.operation,
       CASE WHEN o.operation <> 'INSERT' THEN v.old_row END,
       CASE o.operation
            WHEN 'INSERT' THEN v.old_row
            WHEN 'UPDATE' THEN v.new_values
       END,
       CASE WHEN o.operation = 'UPDATE' THEN v.changed END,
       o.record_id,
       CASE WHEN w.direct THEN '10.0.0.5'::inet ELSE '203.0.113.0'::inet + (n.who / 100 % 250) END,
       n.at,
       CASE WHEN NOT w.direct THEN 'user' || (n.who / 10 % 10000) END,
       w.direct,
       CASE WHEN w.direct THEN (ARRAY['psql_admin', 'migrations'])[1 + n.who / 10 % 2] ELSE 'app' END,
       CASE WHEN w.direct THEN 'psql' ELSE 'shop-api' END,
       CASE WHEN w.in_request THEN (ARRAY['/orders', '/orders/{id}', '/customers/{id}', '/invoices', '/products/{id}', '/shipments/{id}'])[1 + n.who / 100000 % 6] END,
       CASE WHEN w.in_request THEN (ARRAY['POST', 'PATCH', 'PUT', 'DELETE'])[1 + n.who / 1000000 % 4] END,
       CASE WHEN w.in_request THEN md5('request ' || (n.g / 3))::uuid END,
       n.g / 3 + 1000,
       CASE WHEN NOT w.direct THEN jsonb_build_object('tenant', 'tenant' || (n.who / 10000000 % 100)) END
FROM (
    SELECT g,
           g % $6::bigint = 0 AS hot,
           -- The table and the operation.
           hashint8extended(g, 1) & 9223372036854775807 AS pick,
           -- The record and its values.
           hashint8extended(g, 2) & 9223372036854775807 AS rec,
           -- The transaction's writer: three rows a transaction.
           hashint8extended(g / 3, 3) & 9223372036854775807 AS who,
           $4::timestamptz + ($5::timestamptz - $4::timestamptz) * (g::float8 / $3::bigint) AS at
    FROM generate_series($1::bigint, $2::bigint) AS g
) AS n
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN n.hot THEN 'orders'
               WHEN n.g % 10007 = 0 THEN 'refunds'
               WHEN n.g % 1111 = 0 THEN 'coupons'
               WHEN n.pick % 100 < 50 THEN (ARRAY['orders', 'customers', 'invoices', 'products', 'shipments'])[1 + n.pick / 100 % 5]
               ELSE 'table_' || lpad((7 + n.pick / 100 % 193)::text, 3, '0')
           END AS table_name
) AS t
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN n.hot AND n.g = $6::bigint THEN 'INSERT'
               WHEN n.hot THEN 'UPDATE'
               WHEN n.pick / 100000 % 10 < 6 THEN 'INSERT'
               WHEN n.pick / 100000 % 10 < 9 OR t.table_name = 'invoices' THEN 'UPDATE'
               ELSE 'DELETE'
           END AS operation,
           CASE
               WHEN n.hot THEN 'hot'
               WHEN t.table_name IN ('orders', 'customers', 'invoices', 'products', 'shipments') THEN (n.rec % 1000000)::text
               ELSE (n.rec % 20000)::text
           END AS record_id
) AS o
CROSS JOIN LATERAL (
    SELECT n.who % 10 < 3 AS direct,
           n.who % 10 >= 4 AS in_request
) AS w
CROSS JOIN LATERAL (
    SELECT jsonb_build_object('id', o.record_id, 'name', 'item ' || o.record_id, 'status', 'open',
                              'qty', n.rec / 1000000 % 100, 'price', (n.rec / 100000000 % 100000) / 100.0,
                              'note', md5(o.record_id), 'updated_at', n.at - interval '3 days') AS old_row,
           CASE WHEN n.rec / 10000000000 % 2 = 0
                THEN jsonb_build_object('status', 'paid')
                ELSE jsonb_build_object('qty', n.rec / 1000000 % 100 + 1, 'updated_at', n.at)
           END AS new_values,
           CASE WHEN n.rec / 10000000000 % 2 = 0
                THEN '["status"]'::jsonb
                ELSE '["qty", "updated_at"]'::jsonb
           END AS changed
) AS v
