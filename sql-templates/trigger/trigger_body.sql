-- Body of the audit trigger function of a table. INSERT, UPDATE and DELETE are recorded
-- set-based, once per statement, from the transition tables, so a bulk statement pays no
-- per-row PL/pgSQL price. The rows of an UPDATE are paired by their position in the two
-- transition tables, which PostgreSQL fills in step (an old row and its new row are appended
-- together, a row moved to another partition old first, new next), so a key changed by any
-- means, a deferrable key with transient duplicates or a row moved between partitions is
-- paired with its own new row. Only when a moved row lost its new row (a BEFORE INSERT
-- trigger of the destination returned NULL) do the counts differ; the rows are then paired
-- by key (see trigger_update_unpaired). The table is recorded under the name it has now (a
-- partition under its root's), never a name baked at attach time. No PL/pgSQL variable is
-- used and every column reference is qualified, so no column name of the table can be
-- captured by the generated SQL. Rows go to the data log as stored (pg_audit_log_data, an
-- UPDATE's new row as its new values), not through the view pg_audit_log.
-- @ident schema the audit schema
-- @fragment recorded_table rendered expr_recorded_table
-- @fragment inserted_data masked row, over r.j
-- @fragment inserted_record_id record id, over r.j
-- @fragment update_paired rendered trigger_update_paired
-- @fragment update_unpaired rendered trigger_update_unpaired
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation, new_values, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        -- The context once per statement (inlined, it would be evaluated per row).
        WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context()),
             target AS MATERIALIZED ({{recorded_table}})
        SELECT target.schema_name, target.table_name, 'INSERT', {{inserted_data}}, {{inserted_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM (SELECT pg_catalog.to_jsonb(t.*) AS j FROM pg_audit_new AS t OFFSET 0) AS r
        CROSS JOIN c
        CROSS JOIN target;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation, old_data, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context()),
             target AS MATERIALIZED ({{recorded_table}})
        SELECT target.schema_name, target.table_name, 'DELETE', {{inserted_data}}, {{inserted_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM (SELECT pg_catalog.to_jsonb(t.*) AS j FROM pg_audit_old AS t OFFSET 0) AS r
        CROSS JOIN c
        CROSS JOIN target;
    ELSIF TG_OP = 'UPDATE' THEN
        IF (SELECT pg_catalog.count(*) FROM pg_audit_old) = (SELECT pg_catalog.count(*) FROM pg_audit_new) THEN
{{update_paired}}
        ELSE
{{update_unpaired}}
        END IF;
    ELSE
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        SELECT target.schema_name, target.table_name, 'TRUNCATE',
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id,
               {{schema}}.pg_audit_truncate_context(c.context, TG_TABLE_SCHEMA, TG_TABLE_NAME, target.schema_name, target.table_name)
        FROM {{schema}}.pg_audit_context() AS c
        CROSS JOIN ({{recorded_table}}) AS target;
    END IF;
    RETURN NULL;
END
