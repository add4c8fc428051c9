-- The ids of the API requests that the indexed conditions of a Requests filter select
-- (path $1 with method $2, status range [$3, $4), request $5; a NULL parameter turns its
-- condition into TRUE) within the cursors' range ($6: ids below, $7: ids above), at most
-- $8 of them. Read through the index of the condition (path, status, request), in no
-- particular order: fewer than $8 ids are all of them.
-- @ident audit_schema the audit schema
SELECT id
FROM {{audit_schema}}.pg_api_audit_log
WHERE ($1::text IS NULL OR api_name = $1)
  AND ($2::text IS NULL OR http_method = $2)
  AND ($3::integer IS NULL OR response_code >= $3)
  AND ($4::integer IS NULL OR response_code < $4)
  AND ($5::uuid IS NULL OR request_id = $5)
  AND ($6::bigint IS NULL OR id < $6)
  AND ($7::bigint IS NULL OR id > $7)
LIMIT $8
