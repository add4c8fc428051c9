-- Body of the audit trigger function of a table with a primary key. INSERT, UPDATE and
-- DELETE are recorded set-based, once per statement, from the transition tables, so a bulk
-- statement pays no per-row PL/pgSQL price. OLD and NEW rows are paired by primary key. The
-- only row-level path is an UPDATE that changes a key: it is recorded row by row and its
-- keys are noted so the statement path does not pair them wrongly.
-- @ident schema the audit schema
-- @literal table_schema schema recorded for the table
-- @literal table_name name recorded for the table
-- @fragment row_old_data masked old row, over oj
-- @fragment row_new_data masked new row, over nj
-- @fragment row_record_id record id, over nj
-- @fragment row_changed changed columns, over oj and nj
-- @fragment row_old_key key, over oj
-- @fragment row_new_key key, over nj
-- @fragment inserted_data masked row, over r.j
-- @fragment inserted_record_id record id, over r.j
-- @literals key_names the primary-key columns
-- @fragment key_count how many they are
-- @fragment update_by_typed_key rendered trigger_update_pairs, pairing by typed key
-- @fragment update_by_jsonb_key rendered trigger_update_pairs, pairing by jsonb key
DECLARE
    oj jsonb;
    nj jsonb;
    moved boolean;
BEGIN
    IF TG_LEVEL = 'ROW' THEN
        oj := to_jsonb(OLD);
        nj := to_jsonb(NEW);
        INSERT INTO {{schema}}.pg_audit_log (
            schema_name, table_name, operation, old_data, new_data, changed_fields, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        SELECT {{table_schema}}, {{table_name}}, 'UPDATE', {{row_old_data}}, {{row_new_data}}, to_jsonb({{row_changed}}), {{row_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM {{schema}}.pg_audit_context() AS c;
        INSERT INTO {{schema}}.pg_audit_moved_keys (transaction_id, trigger_depth, schema_name, table_name, old_key, new_key)
        VALUES (txid_current(), pg_trigger_depth(), {{table_schema}}, {{table_name}}, {{row_old_key}}, {{row_new_key}});
        PERFORM set_config('pg_audit.moved_keys_' || pg_trigger_depth(), 'pending', true);
        RETURN NULL;
    END IF;

    IF TG_OP = 'INSERT' THEN
        INSERT INTO {{schema}}.pg_audit_log (
            schema_name, table_name, operation, new_data, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        -- The context once per statement (inlined, it would be evaluated per row).
        WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
        SELECT {{table_schema}}, {{table_name}}, 'INSERT', {{inserted_data}}, {{inserted_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM (SELECT to_jsonb(t) AS j FROM pg_audit_new AS t OFFSET 0) AS r
        CROSS JOIN c;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {{schema}}.pg_audit_log (
            schema_name, table_name, operation, old_data, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        -- The context once per statement (inlined, it would be evaluated per row).
        WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
        SELECT {{table_schema}}, {{table_name}}, 'DELETE', {{inserted_data}}, {{inserted_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM (SELECT to_jsonb(t) AS j FROM pg_audit_old AS t OFFSET 0) AS r
        CROSS JOIN c;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Set by the key-change trigger of this statement (same trigger depth) when it noted
        -- moved keys; a forged flag only costs a lookup in the (owner-only) moved-keys table.
        moved := COALESCE(current_setting('pg_audit.moved_keys_' || pg_trigger_depth(), true) = 'pending', false);
        -- Pair by the typed key columns while they exist under the names they had at attach
        -- time (fast: a hash join on the keys); after a rename, pair by jsonb instead.
        IF (
            SELECT count(*)
            FROM pg_catalog.pg_attribute AS a
            WHERE a.attrelid = TG_RELID
              AND a.attname = ANY (ARRAY[{{key_names}}]::name[])
              AND a.attnum > 0
              AND NOT a.attisdropped
        ) = {{key_count}} THEN
{{update_by_typed_key}}
        ELSE
{{update_by_jsonb_key}}
        END IF;
        IF moved THEN
            DELETE FROM {{schema}}.pg_audit_moved_keys AS m
            WHERE m.transaction_id = txid_current()
              AND m.trigger_depth = pg_trigger_depth()
              AND m.schema_name = {{table_schema}}
              AND m.table_name = {{table_name}};
            PERFORM set_config('pg_audit.moved_keys_' || pg_trigger_depth(), '', true);
        END IF;
    ELSE
        INSERT INTO {{schema}}.pg_audit_log (
            schema_name, table_name, operation,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        SELECT {{table_schema}}, {{table_name}}, 'TRUNCATE',
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id,
               {{schema}}.pg_audit_truncate_context(c.context, TG_TABLE_SCHEMA, TG_TABLE_NAME, {{table_schema}}, {{table_name}})
        FROM {{schema}}.pg_audit_context() AS c;
    END IF;
    RETURN NULL;
END
