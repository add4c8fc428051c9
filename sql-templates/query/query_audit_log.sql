-- One page of the data audit log, in id order (newest first with DESC; order_by may write
-- `id + 0` to steer the plan, see query::Cursor::order_by). Every filter is
-- optional: a NULL parameter turns its condition into TRUE. The query API runs it as an
-- unnamed statement, so PostgreSQL plans each execution with its actual values, folds the
-- unused conditions away and picks the index that fits the remaining ones. The client
-- address is read through host(), so a stored network never fails to decode as an address.
-- @ident audit_schema      the audit schema
-- @fragment record_key     $3 as the log stores a record id (expr_record_key)
-- @fragment order_by       id DESC / id ASC, or id + 0 DESC / ASC to read a time window first
-- @fragment selected       TRUE, or id = ANY($13): only the rows an index selected (query::search)
SELECT
    id,
    schema_name,
    table_name,
    operation,
    old_data,
    new_data,
    changed_fields,
    record_id,
    host(ip_address)::inet AS ip_address,
    updated_at,
    updated_by,
    coalesce(is_db_user, false) AS is_db_user,
    db_user,
    application_name,
    api_name,
    http_method,
    request_id,
    transaction_id,
    context
FROM {{audit_schema}}.pg_audit_log
WHERE ($1::text IS NULL OR schema_name = $1)
  AND ($2::text IS NULL OR table_name = $2)
  AND ($3::text IS NULL OR record_id = {{record_key}})
  AND ($4::uuid IS NULL OR request_id = $4)
  AND ($5::text IS NULL OR updated_by = $5)
  AND ($6::text IS NULL OR operation = $6)
  AND ($7::boolean IS NOT TRUE OR is_db_user)
  AND ($8::timestamptz IS NULL OR updated_at >= $8)
  AND ($9::timestamptz IS NULL OR updated_at < $9)
  AND ($10::bigint IS NULL OR id < $10)
  AND ($11::bigint IS NULL OR id > $11)
  AND {{selected}}
ORDER BY {{order_by}}
LIMIT $12
