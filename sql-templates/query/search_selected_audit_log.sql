-- The ids of the rows that the indexed conditions of a Changes filter select (schema and
-- table $1, $2, record $3, request $4, user $5; a NULL parameter turns its condition into
-- TRUE) within the cursors' range ($6: ids below, $7: ids above), at most $8 of them. Read
-- through the index of the condition (the record index, the request index, the user
-- index), in no particular order: fewer than $8 ids are all of them.
-- @ident audit_schema the audit schema
-- @fragment record_key $3 as the log stores a record id (expr_record_key)
SELECT id
FROM {{audit_schema}}.pg_audit_log
WHERE ($1::text IS NULL OR schema_name = $1)
  AND ($2::text IS NULL OR table_name = $2)
  AND ($3::text IS NULL OR record_id = {{record_key}})
  AND ($4::uuid IS NULL OR request_id = $4)
  AND ($5::text IS NULL OR updated_by = $5)
  AND ($6::bigint IS NULL OR id < $6)
  AND ($7::bigint IS NULL OR id > $7)
LIMIT $8
