-- The registry: every table pg-audit knows, with its rules.
-- @ident schema the audit schema
SELECT schema_name, table_name, excluded, excluded_by, masked_columns, ignored_columns, definition_hash
FROM {{schema}}.pg_audit_tables
ORDER BY schema_name, table_name
