-- Gives the triggers of the current transaction the request context ($1 user id, $2 client
-- address, $3 api name, $4 HTTP method, $5 request id, $6 extra context as a JSON object;
-- empty when unknown). Local to the transaction: never a session setting.
SELECT pg_catalog.set_config('pg_audit.user_id', $1, true),
       pg_catalog.set_config('pg_audit.ip', $2, true),
       pg_catalog.set_config('pg_audit.api_name', $3, true),
       pg_catalog.set_config('pg_audit.http_method', $4, true),
       pg_catalog.set_config('pg_audit.request_id', $5, true),
       pg_catalog.set_config('pg_audit.context', $6, true)
