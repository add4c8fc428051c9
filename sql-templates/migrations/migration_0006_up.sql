-- Migration 6: the living schema. The log takes two operations of its own: DDL (a change of
-- an audited table or of the audit schema, recorded by the DDL trail's event triggers and by
-- pg-audit's own runs) and SNAPSHOT (a row as it existed when its table was first attached).
-- Both are written by pg_audit_record only, so the log's physical layout is known in one
-- place. The tokens table marks pg-audit's own runs, whose DDL the trail records as one row.
-- @ident schema the audit schema
-- @ident role the audit role
-- @dollar record_body rendered migration_0005_record_body

-- The old CHECK, a subset of the new one, held for every existing row: NOT VALID spares a
-- scan of the whole log under its lock, and every new row is checked.
ALTER TABLE {{schema}}.pg_audit_log DROP CONSTRAINT IF EXISTS pg_audit_log_operation_check;
ALTER TABLE {{schema}}.pg_audit_log ADD CONSTRAINT pg_audit_log_operation_check
    CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'DDL', 'SNAPSHOT')) NOT VALID;

-- Tokens of pg-audit's own runs in progress (attach, migrate, automatic attach): while the
-- transaction-local setting pg_audit.ddl_token holds one of them, the DDL trail leaves the
-- run's statements to the run, which records itself. Only the schema's owner can add one.
CREATE TABLE {{schema}}.pg_audit_ddl_tokens (
    token uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON {{schema}}.pg_audit_ddl_tokens FROM PUBLIC;

-- Baseline progress: the last key recorded as SNAPSHOT rows for each table, so an
-- interrupted baseline resumes where it stopped and a finished one is never taken again.
CREATE TABLE {{schema}}.pg_audit_baselines (
    schema_name text NOT NULL,
    table_name text NOT NULL,
    last_key jsonb,
    rows_recorded bigint NOT NULL DEFAULT 0,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (schema_name, table_name)
);
REVOKE ALL ON {{schema}}.pg_audit_baselines FROM PUBLIC;

-- The one writer of DDL and SNAPSHOT rows: one row per element of the arrays, with the
-- context of the current transaction (who, from where, which request) like any audit row.
CREATE FUNCTION {{schema}}.pg_audit_record(
    p_operation text, p_schema_name text, p_table_name text, p_record_ids text[], p_rows jsonb[]
) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS {{record_body}};
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_record(text, text, text, text[], jsonb[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION {{schema}}.pg_audit_record(text, text, text, text[], jsonb[]) TO {{role}};
