-- Body of pg_audit_create_partitions(months_ahead): makes sure both logs have a partition
-- for every month from this one to months_ahead months ahead, and one for every month of
-- which the default partition holds rows (written with a clock far ahead or behind), which
-- then move there. Idempotent and bounded, so any role with access to the audit schema may
-- run it. With the DDL trail on, records what it created as one DDL row (as pg-audit's
-- other runs are recorded). Returns the partitions it created.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    parent text;
    month_start timestamptz;
    created text[] := '{}';
    outer_token text := current_setting('pg_audit.ddl_token', true);
    run_token uuid;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 36 THEN
        RAISE EXCEPTION 'pg-audit: partitions can be made 0 to 36 months ahead, not %', months_ahead;
    END IF;
    -- The DDL trail leaves these statements to this run, which records itself below.
    IF outer_token IS NULL OR outer_token = '' THEN
        run_token := gen_random_uuid();
        INSERT INTO {{schema}}.pg_audit_ddl_tokens (token) VALUES (run_token);
        PERFORM set_config('pg_audit.ddl_token', run_token::text, true);
    END IF;
    FOREACH parent IN ARRAY ARRAY['pg_audit_log_data', 'pg_api_audit_log'] LOOP
        FOR month_start IN
            SELECT m.month_start
            FROM (
                SELECT date_trunc('month', now()) + make_interval(months => s.i) AS month_start
                FROM generate_series(0, months_ahead) AS s(i)
                UNION
                SELECT d.month_start FROM {{schema}}.pg_audit_default_months(parent) AS d(month_start)
            ) AS m
            WHERE NOT EXISTS (
                SELECT 1 FROM {{schema}}.pg_audit_partitions() AS p
                WHERE p.log_table = parent AND NOT p.is_default
                  AND coalesce(p.lower_bound, '-infinity') < m.month_start + interval '1 month'
                  AND coalesce(p.upper_bound, 'infinity') > m.month_start)
            ORDER BY m.month_start
        LOOP
            created := created || {{schema}}.pg_audit_add_partition(parent, month_start, month_start + interval '1 month', NULL);
        END LOOP;
    END LOOP;
    IF cardinality(created) > 0 AND EXISTS (
        SELECT 1 FROM pg_catalog.pg_event_trigger AS e
        JOIN pg_catalog.pg_proc AS f ON f.oid = e.evtfoid
        WHERE f.proname = 'pg_audit_trail_ddl' AND e.evtenabled = 'A'
          AND f.pronamespace = (SELECT n.oid FROM pg_catalog.pg_namespace AS n WHERE n.nspname = {{schema_name}})
    ) THEN
        PERFORM {{schema}}.pg_audit_record('DDL', {{schema_name}}, 'pg_audit_log', ARRAY[NULL]::text[],
            ARRAY[jsonb_build_object('command_tag', 'pg-audit maintain', 'object_type', 'schema',
                                     'identity', {{schema_name}}, 'partitions_created', to_jsonb(created))]);
    END IF;
    IF run_token IS NOT NULL THEN
        PERFORM set_config('pg_audit.ddl_token', coalesce(outer_token, ''), true);
        DELETE FROM {{schema}}.pg_audit_ddl_tokens WHERE token = run_token;
    END IF;
    RETURN created;
END
