-- Records a table's rules and the hash of its generated trigger SQL (NULL: no triggers).
-- @ident schema the audit schema
INSERT INTO {{schema}}.pg_audit_tables
    (schema_name, table_name, excluded, excluded_by, masked_columns, ignored_columns, definition_hash, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, now())
ON CONFLICT (schema_name, table_name) DO UPDATE
SET excluded = EXCLUDED.excluded,
    excluded_by = EXCLUDED.excluded_by,
    masked_columns = EXCLUDED.masked_columns,
    ignored_columns = EXCLUDED.ignored_columns,
    definition_hash = EXCLUDED.definition_hash,
    updated_at = now()
