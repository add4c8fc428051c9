-- Body of pg_audit_drop_partitions(older_than, at_most): retention by whole partitions.
-- Drops the oldest at_most partitions of both logs whose rows are all older than the
-- cutoff, counting each one's rows first (without a lock, so writers never wait for the
-- count). A drop takes the log's ACCESS EXCLUSIVE lock until the transaction ends, so
-- audited writes wait for it: it waits at most the caller's lock_timeout for that lock (a
-- partition whose lock is not had in that time is kept for the next run), and pg-audit's
-- maintenance drops one partition per transaction. The run is recorded in the log itself, as pg_audit_purge's
-- runs are. Returns what it did as jsonb. Rows older than the cutoff in a partition that
-- also holds newer ones stay: pg_audit_purge removes those.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    p record;
    rows_in bigint;
    removed_changes bigint := 0;
    removed_requests bigint := 0;
    dropped text[] := '{}';
    kept text[] := '{}';
    outer_token text := current_setting('pg_audit.ddl_token', true);
    run_token uuid;
BEGIN
    IF older_than IS NULL OR older_than > now() THEN
        RAISE EXCEPTION 'pg-audit: retention needs a cutoff in the past, not %', older_than;
    END IF;
    IF at_most IS NULL OR at_most < 1 THEN
        RAISE EXCEPTION 'pg-audit: at_most must be at least 1, not %', at_most;
    END IF;
    IF outer_token IS NULL OR outer_token = '' THEN
        run_token := gen_random_uuid();
        INSERT INTO {{schema}}.pg_audit_ddl_tokens (token) VALUES (run_token);
        PERFORM set_config('pg_audit.ddl_token', run_token::text, true);
    END IF;
    FOR p IN
        SELECT * FROM {{schema}}.pg_audit_partitions() AS x
        WHERE NOT x.is_default AND x.upper_bound <= older_than
        ORDER BY x.upper_bound, x.log_table
        LIMIT at_most
    LOOP
        EXECUTE format('SELECT count(*) FROM %I.%I', {{schema_name}}, p.partition_name) INTO rows_in;
        BEGIN
            EXECUTE format('DROP TABLE %I.%I', {{schema_name}}, p.partition_name);
            dropped := dropped || p.partition_name;
            IF p.log_table = 'pg_api_audit_log' THEN
                removed_requests := removed_requests + rows_in;
            ELSE
                removed_changes := removed_changes + rows_in;
            END IF;
        EXCEPTION WHEN lock_not_available THEN
            kept := kept || p.partition_name;
        END;
    END LOOP;
    IF run_token IS NOT NULL THEN
        PERFORM set_config('pg_audit.ddl_token', coalesce(outer_token, ''), true);
        DELETE FROM {{schema}}.pg_audit_ddl_tokens WHERE token = run_token;
    END IF;
    IF cardinality(dropped) > 0 THEN
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation, is_db_user, db_user, application_name, transaction_id, context
        )
        VALUES (
            {{schema_name}}, 'pg_audit_log', 'DELETE', true, session_user,
            NULLIF(current_setting('application_name', true), ''), txid_current(),
            jsonb_build_object('retention', jsonb_build_object(
                'older_than', older_than, 'audit_rows_removed', removed_changes,
                'api_rows_removed', removed_requests, 'partitions_dropped', to_jsonb(dropped)))
        );
    END IF;
    RETURN jsonb_build_object('partitions_dropped', to_jsonb(dropped), 'partitions_kept', to_jsonb(kept),
                              'audit_rows_removed', removed_changes, 'api_rows_removed', removed_requests);
END
