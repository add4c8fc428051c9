-- Writes a batch of API-log rows in one statement: one array parameter per column, all of
-- the same length, unnested side by side (the API-log writer's only statement). The bodies
-- arrive as JSON text, so the writer's queue holds exactly the bytes it counts. A batch sent
-- again after a timeout whose INSERT did commit finds its rows by their unique
-- (request_id, created_at) key and writes nothing twice. It runs on the application's pool
-- as it is, without a pinned search_path, so nothing in it is looked up through one: the
-- table is qualified, a multi-argument UNNEST is syntax that always calls
-- pg_catalog.unnest, and casts are found by type, not by schema.
-- @ident audit_schema      the audit schema
INSERT INTO {{audit_schema}}.pg_api_audit_log
    (request_id, api_name, http_method, request_payload, response_body, response_code,
     user_id, ip_address, created_at, duration_ms)
SELECT request_id, api_name, http_method, request_payload::jsonb, response_body::jsonb,
       response_code, user_id, ip_address, created_at, duration_ms
FROM UNNEST(
    $1::uuid[],
    $2::text[],
    $3::text[],
    $4::text[],
    $5::text[],
    $6::integer[],
    $7::text[],
    $8::inet[],
    $9::timestamptz[],
    $10::double precision[]
) AS batch (request_id, api_name, http_method, request_payload, response_body,
            response_code, user_id, ip_address, created_at, duration_ms)
ON CONFLICT DO NOTHING
