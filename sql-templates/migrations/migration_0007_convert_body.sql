-- The body of migration 7's conversion: a former log (renamed *_old by the migration) that
-- holds rows becomes the first partition of the new one, covering all time up to the start
-- of next month, so no row is rewritten; its rows of a later time (written with a clock far
-- ahead) move to the default partition, from which maintenance moves them to their months.
-- The new log's ids continue after the former's. An empty former log is dropped. Privileges granted on the former
-- logs pass to what is read now under their names (the view pg_audit_log, the partitioned
-- pg_api_audit_log), and the partitions keep none.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    data_bound timestamptz;
    api_bound timestamptz;
    next_data_id bigint;
    next_api_id bigint;
    data_rows boolean;
    api_rows boolean;
    g record;
BEGIN
    -- Ids continue after the last one handed out (rows purged since included).
    SELECT {{schema}}.pg_audit_month(now(), 1),
           coalesce(greatest(max(l.id), pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence(
               format('%I.%I', {{schema_name}}, 'pg_audit_log_data_old'), 'id')::regclass)), 0) + 1,
           count(*) > 0
    INTO data_bound, next_data_id, data_rows
    FROM {{schema}}.pg_audit_log_data_old AS l;
    SELECT {{schema}}.pg_audit_month(now(), 1),
           coalesce(greatest(max(l.id), pg_catalog.pg_sequence_last_value(pg_catalog.pg_get_serial_sequence(
               format('%I.%I', {{schema_name}}, 'pg_api_audit_log_old'), 'id')::regclass)), 0) + 1,
           count(*) > 0
    INTO api_bound, next_api_id, api_rows
    FROM {{schema}}.pg_api_audit_log_old AS l;

    -- The former data log: new_data held whole rows, which the view's reading of
    -- new_values (old_data || new_values for an UPDATE) gives back unchanged.
    ALTER TABLE {{schema}}.pg_audit_log_data_old ALTER COLUMN id DROP IDENTITY;
    ALTER TABLE {{schema}}.pg_audit_log_data_old RENAME COLUMN new_data TO new_values;
    ALTER TABLE {{schema}}.pg_audit_log_data_old VALIDATE CONSTRAINT pg_audit_log_operation_check;
    DROP TRIGGER pg_audit_append_only ON {{schema}}.pg_audit_log_data_old;
    DROP TRIGGER pg_audit_append_only_truncate ON {{schema}}.pg_audit_log_data_old;
    -- The B-tree (updated_at, id) and the partition bounds serve every time range now.
    DROP INDEX IF EXISTS {{schema}}.pg_audit_log_updated_at_idx;
    ALTER TABLE {{schema}}.pg_api_audit_log_old ALTER COLUMN id DROP IDENTITY;
    -- Superseded by the new log's (api_name, http_method, id) and (response_code, id).
    DROP INDEX IF EXISTS {{schema}}.pg_api_audit_log_path_idx;
    DROP INDEX IF EXISTS {{schema}}.pg_api_audit_log_status_idx;
    DROP TRIGGER pg_audit_append_only ON {{schema}}.pg_api_audit_log_old;
    DROP TRIGGER pg_audit_append_only_truncate ON {{schema}}.pg_api_audit_log_old;

    FOR g IN
        SELECT a.grantee, a.privilege_type, a.is_grantable, l.new_name, l.old_name
        FROM (VALUES ('pg_audit_log_data_old', 'pg_audit_log'), ('pg_api_audit_log_old', 'pg_api_audit_log')) AS l(old_name, new_name)
        JOIN pg_catalog.pg_class AS c ON c.oid = format('%I.%I', {{schema_name}}, l.old_name)::regclass
        CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
        WHERE a.grantee <> c.relowner
          AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER')
    LOOP
        EXECUTE format('GRANT %s ON %I.%I TO %s%s', g.privilege_type, {{schema_name}}, g.new_name,
            CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_catalog.pg_get_userbyid(g.grantee)) END,
            CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;

    -- Rows past the first partition's bound go to the default partition (the former log's
    -- guard is gone by now, so they can leave it).
    INSERT INTO {{schema}}.pg_audit_log_data (
        id, schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
        ip_address, updated_at, updated_by, is_db_user, db_user, application_name,
        api_name, http_method, request_id, transaction_id, context
    ) OVERRIDING SYSTEM VALUE
    SELECT id, schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
           ip_address, updated_at, updated_by, is_db_user, db_user, application_name,
           api_name, http_method, request_id, transaction_id, context
    FROM {{schema}}.pg_audit_log_data_old WHERE updated_at >= data_bound;
    DELETE FROM {{schema}}.pg_audit_log_data_old WHERE updated_at >= data_bound;
    INSERT INTO {{schema}}.pg_api_audit_log (
        id, request_id, api_name, http_method, request_payload, response_body, response_code,
        user_id, ip_address, created_at, duration_ms
    ) OVERRIDING SYSTEM VALUE
    SELECT id, request_id, api_name, http_method, request_payload, response_body, response_code,
           user_id, ip_address, created_at, duration_ms
    FROM {{schema}}.pg_api_audit_log_old WHERE created_at >= api_bound;
    DELETE FROM {{schema}}.pg_api_audit_log_old WHERE created_at >= api_bound;

    IF data_rows THEN
        PERFORM {{schema}}.pg_audit_add_partition('pg_audit_log_data', NULL, data_bound, 'pg_audit_log_data_old');
    ELSE
        DROP TABLE {{schema}}.pg_audit_log_data_old;
    END IF;
    IF api_rows THEN
        PERFORM {{schema}}.pg_audit_add_partition('pg_api_audit_log', NULL, api_bound, 'pg_api_audit_log_old');
    ELSE
        DROP TABLE {{schema}}.pg_api_audit_log_old;
    END IF;
    EXECUTE format('ALTER TABLE %I.pg_audit_log_data ALTER COLUMN id RESTART WITH %s', {{schema_name}}, next_data_id);
    EXECUTE format('ALTER TABLE %I.pg_api_audit_log ALTER COLUMN id RESTART WITH %s', {{schema_name}}, next_api_id);
END
