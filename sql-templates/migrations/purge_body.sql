-- Body of pg_audit_purge(older_than): removes audit rows older than the cutoff and records
-- the run as an audit row of its own.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a value
DECLARE
    run_token uuid := gen_random_uuid();
    removed_changes bigint;
    removed_requests bigint;
BEGIN
    INSERT INTO {{schema}}.pg_audit_retention_tokens (token) VALUES (run_token);
    PERFORM set_config('pg_audit.retention_token', run_token::text, true);
    DELETE FROM {{schema}}.pg_audit_log WHERE updated_at < older_than;
    GET DIAGNOSTICS removed_changes = ROW_COUNT;
    DELETE FROM {{schema}}.pg_api_audit_log WHERE created_at < older_than;
    GET DIAGNOSTICS removed_requests = ROW_COUNT;
    PERFORM set_config('pg_audit.retention_token', '', true);
    DELETE FROM {{schema}}.pg_audit_retention_tokens WHERE token = run_token;
    INSERT INTO {{schema}}.pg_audit_log (
        schema_name, table_name, operation, is_db_user, db_user, application_name, transaction_id, context
    )
    VALUES (
        {{schema_name}}, 'pg_audit_log', 'DELETE', true, session_user,
        NULLIF(current_setting('application_name', true), ''), txid_current(),
        jsonb_build_object('retention', jsonb_build_object(
            'older_than', older_than, 'audit_rows_removed', removed_changes, 'api_rows_removed', removed_requests))
    );
    RETURN removed_changes + removed_requests;
END
