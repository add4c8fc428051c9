-- Migration 1: the audit tables, their indexes, the registry of audited tables, the
-- append-only guard and the retention function.
-- @ident schema the audit schema
-- @dollar guard_body rendered append_only_guard_body
-- @dollar purge_body rendered purge_body

-- One row per changed table row (or per TRUNCATE), written only by the audit triggers.
CREATE TABLE {{schema}}.pg_audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Byte-order collation: cheaper index maintenance on every audited row, and equality
    -- is the same as in any deterministic collation.
    schema_name text COLLATE "C" NOT NULL,
    table_name text COLLATE "C" NOT NULL,
    operation text NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')),
    old_data jsonb,
    new_data jsonb,
    changed_fields jsonb,
    record_id text COLLATE "C",
    ip_address inet,
    updated_at timestamptz NOT NULL DEFAULT statement_timestamp(),
    updated_by text,
    is_db_user boolean NOT NULL DEFAULT false,
    db_user text,
    application_name text,
    api_name text,
    http_method text,
    request_id uuid,
    transaction_id bigint,
    context jsonb
);

-- History of one record, and all changes of one table newest first.
CREATE INDEX pg_audit_log_record_idx ON {{schema}}.pg_audit_log (schema_name, table_name, record_id, id);
-- Time ranges: rows arrive in time order, so a BRIN index is small and cheap to maintain;
-- autosummarize keeps ranges written since the last vacuum from being scanned whole.
CREATE INDEX pg_audit_log_updated_at_idx ON {{schema}}.pg_audit_log USING brin (updated_at) WITH (autosummarize = on);
-- All changes of one request (partial: writes outside the app carry none).
CREATE INDEX pg_audit_log_request_idx ON {{schema}}.pg_audit_log (request_id) WHERE request_id IS NOT NULL;
-- All changes by one user, newest first.
CREATE INDEX pg_audit_log_user_idx ON {{schema}}.pg_audit_log (updated_by, id) WHERE updated_by IS NOT NULL;

-- One row per logged API request, written by the application's API-log writer.
CREATE TABLE {{schema}}.pg_api_audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id uuid,
    api_name text COLLATE "C",
    http_method text COLLATE "C",
    request_payload jsonb,
    response_body jsonb,
    response_code integer,
    user_id text,
    ip_address inet,
    created_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision
);

CREATE INDEX pg_api_audit_log_request_idx ON {{schema}}.pg_api_audit_log (request_id);
CREATE INDEX pg_api_audit_log_created_at_idx ON {{schema}}.pg_api_audit_log (created_at);
CREATE INDEX pg_api_audit_log_path_idx ON {{schema}}.pg_api_audit_log (api_name, http_method);
CREATE INDEX pg_api_audit_log_status_idx ON {{schema}}.pg_api_audit_log (response_code);

-- Which tables are audited with which rules, so the pg-audit command re-applies exactly
-- what the application declared. definition_hash identifies the generated trigger SQL.
CREATE TABLE {{schema}}.pg_audit_tables (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    excluded boolean NOT NULL DEFAULT false,
    excluded_by text CHECK (excluded_by IN ('declared', 'command')),
    masked_columns text[] NOT NULL DEFAULT '{}',
    ignored_columns text[] NOT NULL DEFAULT '{}',
    definition_hash text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (schema_name, table_name)
);

-- Settings the application declared that the command needs too (audited schemas, ...).
CREATE TABLE {{schema}}.pg_audit_settings (
    name text PRIMARY KEY,
    value jsonb NOT NULL
);

-- Keys of rows whose primary key an UPDATE changed, noted by the row-level key-change
-- trigger for the statement-level trigger of the same statement, which must not pair those
-- keys (transition tables can only be paired by key). Emptied by that statement trigger.
CREATE TABLE {{schema}}.pg_audit_moved_keys (
    transaction_id bigint NOT NULL,
    trigger_depth integer NOT NULL,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    old_key jsonb NOT NULL,
    new_key jsonb NOT NULL
);
CREATE INDEX pg_audit_moved_keys_idx ON {{schema}}.pg_audit_moved_keys (transaction_id, trigger_depth, schema_name, table_name);

-- Tokens of retention runs in progress; only the retention function can see them.
CREATE TABLE {{schema}}.pg_audit_retention_tokens (
    token uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The append-only guard: no role, the owner included, may rewrite or remove audit rows,
-- except deletions made by a retention run of pg_audit_purge.
CREATE FUNCTION {{schema}}.pg_audit_reject_change() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{guard_body}};

CREATE TRIGGER pg_audit_append_only
BEFORE UPDATE OR DELETE ON {{schema}}.pg_audit_log
FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
CREATE TRIGGER pg_audit_append_only_truncate
BEFORE TRUNCATE ON {{schema}}.pg_audit_log
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
CREATE TRIGGER pg_audit_append_only
BEFORE UPDATE OR DELETE ON {{schema}}.pg_api_audit_log
FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
CREATE TRIGGER pg_audit_append_only_truncate
BEFORE TRUNCATE ON {{schema}}.pg_api_audit_log
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
ALTER TABLE {{schema}}.pg_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only;
ALTER TABLE {{schema}}.pg_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate;
ALTER TABLE {{schema}}.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only;
ALTER TABLE {{schema}}.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate;

-- Retention: the one way to remove audit rows. Deletes rows older than the cutoff from both
-- logs and records the run itself as an audit row. Returns the number of rows removed.
CREATE FUNCTION {{schema}}.pg_audit_purge(older_than timestamptz) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{purge_body}};

-- The audit trail belongs to its owner; application roles reach it only through the
-- SECURITY DEFINER trigger functions.
REVOKE ALL ON SCHEMA {{schema}} FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA {{schema}} FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_reject_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_purge(timestamptz) FROM PUBLIC;
