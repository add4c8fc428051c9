-- Begins a transaction and gives its triggers the request context, in one round trip.
-- Every setting is written, empty when unknown, and only for this transaction (is_local):
-- nothing stays on the pooled connection for the next request.
-- @literal user_id the acting user, or empty
-- @literal ip the client address, or empty
-- @literal api_name the api name, or empty
-- @literal http_method the HTTP method, or empty
-- @literal request_id the request id (canonical UUID)
-- @literal context the extra context as a JSON object, or empty
BEGIN;
SELECT pg_catalog.set_config('pg_audit.user_id', {{user_id}}, true),
       pg_catalog.set_config('pg_audit.ip', {{ip}}, true),
       pg_catalog.set_config('pg_audit.api_name', {{api_name}}, true),
       pg_catalog.set_config('pg_audit.http_method', {{http_method}}, true),
       pg_catalog.set_config('pg_audit.request_id', {{request_id}}, true),
       pg_catalog.set_config('pg_audit.context', {{context}}, true)
