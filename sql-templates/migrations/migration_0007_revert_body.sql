-- The body of migration 7's revert (see migration_0007_down).
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    g record;
BEGIN
    CREATE TABLE {{schema}}.pg_audit_log_flat (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        schema_name text COLLATE "C" NOT NULL,
        table_name text COLLATE "C" NOT NULL,
        operation text NOT NULL,
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
        context jsonb,
        CONSTRAINT pg_audit_log_operation_check
            CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'DDL', 'SNAPSHOT'))
    );
    INSERT INTO {{schema}}.pg_audit_log_flat OVERRIDING SYSTEM VALUE
    SELECT * FROM {{schema}}.pg_audit_log ORDER BY id;
    CREATE TABLE {{schema}}.pg_api_audit_log_flat (
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
    INSERT INTO {{schema}}.pg_api_audit_log_flat OVERRIDING SYSTEM VALUE
    SELECT * FROM {{schema}}.pg_api_audit_log ORDER BY id;

    FOR g IN
        SELECT a.grantee, a.privilege_type, a.is_grantable, l.flat_name
        FROM (VALUES ('pg_audit_log', 'pg_audit_log_flat'), ('pg_api_audit_log', 'pg_api_audit_log_flat')) AS l(name, flat_name)
        JOIN pg_catalog.pg_class AS c ON c.oid = format('%I.%I', {{schema_name}}, l.name)::regclass
        CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
        WHERE a.grantee <> c.relowner
          AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
    LOOP
        EXECUTE format('GRANT %s ON %I.%I TO %s%s', g.privilege_type, {{schema_name}}, g.flat_name,
            CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
            CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;

    DROP VIEW {{schema}}.pg_audit_log;
    DROP TABLE {{schema}}.pg_audit_log_data;
    DROP TABLE {{schema}}.pg_api_audit_log;
    ALTER TABLE {{schema}}.pg_audit_log_flat RENAME TO pg_audit_log;
    ALTER TABLE {{schema}}.pg_api_audit_log_flat RENAME TO pg_api_audit_log;
    ALTER INDEX {{schema}}.pg_audit_log_flat_pkey RENAME TO pg_audit_log_pkey;
    ALTER INDEX {{schema}}.pg_api_audit_log_flat_pkey RENAME TO pg_api_audit_log_pkey;
    EXECUTE format('ALTER TABLE %I.pg_audit_log ALTER COLUMN id RESTART WITH %s', {{schema_name}},
        (SELECT coalesce(max(id), 0) + 1 FROM {{schema}}.pg_audit_log));
    EXECUTE format('ALTER TABLE %I.pg_api_audit_log ALTER COLUMN id RESTART WITH %s', {{schema_name}},
        (SELECT coalesce(max(id), 0) + 1 FROM {{schema}}.pg_api_audit_log));

    CREATE INDEX pg_audit_log_record_idx ON {{schema}}.pg_audit_log (schema_name, table_name, record_id, id);
    CREATE INDEX pg_audit_log_updated_at_idx ON {{schema}}.pg_audit_log USING brin (updated_at) WITH (autosummarize = on);
    CREATE INDEX pg_audit_log_request_idx ON {{schema}}.pg_audit_log (request_id) WHERE request_id IS NOT NULL;
    CREATE INDEX pg_audit_log_user_idx ON {{schema}}.pg_audit_log (updated_by, id) WHERE updated_by IS NOT NULL;
    CREATE INDEX pg_audit_log_time_idx ON {{schema}}.pg_audit_log (updated_at, id);
    -- As migration 2 left it: unique, but for requests written twice before it.
    EXECUTE format('CREATE UNIQUE INDEX pg_api_audit_log_request_key ON %I.pg_api_audit_log (request_id, created_at)%s',
        {{schema_name}}, coalesce(' WHERE id > ' || (
            SELECT max(r.id) FROM (
                SELECT l.id, count(*) OVER (PARTITION BY l.request_id, l.created_at) AS copies
                FROM {{schema}}.pg_api_audit_log AS l WHERE l.request_id IS NOT NULL) AS r
            WHERE r.copies > 1)::text, ''));
    CREATE INDEX pg_api_audit_log_time_idx ON {{schema}}.pg_api_audit_log (created_at, id);
    CREATE INDEX pg_api_audit_log_path_idx ON {{schema}}.pg_api_audit_log (api_name, http_method);
    CREATE INDEX pg_api_audit_log_status_idx ON {{schema}}.pg_api_audit_log (response_code);

    CREATE TRIGGER pg_audit_append_only BEFORE UPDATE OR DELETE ON {{schema}}.pg_audit_log
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
    CREATE TRIGGER pg_audit_append_only_truncate BEFORE TRUNCATE ON {{schema}}.pg_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
    CREATE TRIGGER pg_audit_append_only BEFORE UPDATE OR DELETE ON {{schema}}.pg_api_audit_log
    FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
    CREATE TRIGGER pg_audit_append_only_truncate BEFORE TRUNCATE ON {{schema}}.pg_api_audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
    ALTER TABLE {{schema}}.pg_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only;
    ALTER TABLE {{schema}}.pg_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate;
    ALTER TABLE {{schema}}.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only;
    ALTER TABLE {{schema}}.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate;
END
