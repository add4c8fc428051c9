-- Body of pg_audit_add_partition(parent, lower_bound, upper_bound, adopt): one partition of
-- a log, for [lower_bound, upper_bound) (NULL lower: MINVALUE; both NULL: the default
-- partition). A new partition is made as a table of its own and then attached, which locks
-- the log only in SHARE UPDATE EXCLUSIVE mode, so audited writes go on meanwhile; rows of its
-- range that landed in the default partition (a clock far ahead) move into it first, so the
-- attach finds none there. `adopt` names an existing table to attach instead (migration 7's
-- former log). Every partition gets the same guard, no grants (access goes through the
-- log), its own index on id (pages are read in id order) and, for the API log, its own
-- unique (request_id, created_at) key. Returns the partition's name.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    time_column text := CASE parent WHEN 'pg_api_audit_log' THEN 'created_at' ELSE 'updated_at' END;
    part text;
    moved bigint := 0;
    run_token uuid;
    g record;
BEGIN
    IF parent NOT IN ('pg_audit_log_data', 'pg_api_audit_log') THEN
        RAISE EXCEPTION 'pg-audit: % is not an audit log', parent;
    END IF;
    part := CASE
        WHEN lower_bound IS NULL AND upper_bound IS NULL THEN parent || '_default'
        WHEN lower_bound IS NULL THEN parent || '_before_' || to_char(upper_bound, 'YYYY_MM')
        ELSE parent || '_' || to_char(lower_bound, 'YYYY_MM')
    END;
    IF adopt IS NOT NULL THEN
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', {{schema_name}}, adopt, part);
    ELSIF lower_bound IS NULL AND upper_bound IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I DEFAULT', {{schema_name}}, part, {{schema_name}}, parent);
    ELSE
        EXECUTE format('CREATE TABLE %I.%I (LIKE %I.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMPRESSION)',
            {{schema_name}}, part, {{schema_name}}, parent);
        IF EXISTS (SELECT 1 FROM {{schema}}.pg_audit_partitions() AS p WHERE p.log_table = parent AND p.is_default) THEN
            EXECUTE format('INSERT INTO %I.%I SELECT * FROM %I.%I WHERE %I >= $1 AND %I < $2',
                {{schema_name}}, part, {{schema_name}}, parent || '_default', time_column, time_column)
                USING lower_bound, upper_bound;
            GET DIAGNOSTICS moved = ROW_COUNT;
            IF moved > 0 THEN
                -- The append-only guard lets a holder of a retention token delete.
                run_token := gen_random_uuid();
                INSERT INTO {{schema}}.pg_audit_retention_tokens (token) VALUES (run_token);
                PERFORM set_config('pg_audit.retention_token', run_token::text, true);
                EXECUTE format('DELETE FROM %I.%I WHERE %I >= $1 AND %I < $2',
                    {{schema_name}}, parent || '_default', time_column, time_column)
                    USING lower_bound, upper_bound;
                PERFORM set_config('pg_audit.retention_token', '', true);
                DELETE FROM {{schema}}.pg_audit_retention_tokens WHERE token = run_token;
            END IF;
        END IF;
    END IF;
    IF NOT (lower_bound IS NULL AND upper_bound IS NULL) THEN
        EXECUTE format('ALTER TABLE %I.%I ATTACH PARTITION %I.%I FOR VALUES FROM (%s) TO (%L)',
            {{schema_name}}, parent, {{schema_name}}, part,
            CASE WHEN lower_bound IS NULL THEN 'MINVALUE' ELSE quote_literal(lower_bound::text) END,
            upper_bound::text);
    END IF;
    IF adopt IS NULL THEN
        EXECUTE format('CREATE INDEX %I ON %I.%I (id)', part || '_id_idx', {{schema_name}}, part);
        IF parent = 'pg_api_audit_log' THEN
            EXECUTE format('CREATE UNIQUE INDEX %I ON %I.%I (request_id, created_at)', part || '_request_key', {{schema_name}}, part);
        END IF;
    END IF;
    -- Row triggers of the log were cloned onto the partition; a TRUNCATE trigger is not.
    EXECUTE format('CREATE TRIGGER pg_audit_append_only_truncate BEFORE TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.pg_audit_reject_change()',
        {{schema_name}}, part, {{schema_name}});
    EXECUTE format('ALTER TABLE %I.%I ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate', {{schema_name}}, part);
    -- No grants, whatever default privileges the schema's owner set: the log is read and
    -- written through its parent (and the data log's view), whose grants decide.
    FOR g IN
        SELECT DISTINCT a.grantee
        FROM pg_catalog.pg_class AS c
        CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
        WHERE c.oid = format('%I.%I', {{schema_name}}, part)::regclass AND a.grantee <> c.relowner
    LOOP
        EXECUTE format('REVOKE ALL ON %I.%I FROM %s', {{schema_name}}, part,
            CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END);
    END LOOP;
    RETURN part;
END
