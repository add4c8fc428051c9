-- Reverts migration 3: the moved-keys table of migration 1, as it was.
-- @ident schema the audit schema
CREATE TABLE IF NOT EXISTS {{schema}}.pg_audit_moved_keys (
    transaction_id bigint NOT NULL,
    trigger_depth integer NOT NULL,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    old_key jsonb NOT NULL,
    new_key jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS pg_audit_moved_keys_idx ON {{schema}}.pg_audit_moved_keys (transaction_id, trigger_depth, schema_name, table_name);
