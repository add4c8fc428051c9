-- Body of the audit trigger function of a table without a primary key: rows cannot be
-- paired across transition tables, so each row is recorded by a row-level trigger.
-- record_id stays NULL.
-- @ident schema the audit schema
-- @literal table_schema schema recorded for the table
-- @literal table_name name recorded for the table
-- @fragment row_old_data masked old row, over oj
-- @fragment row_new_data masked new row, over nj
-- @fragment row_changed changed columns, over oj and nj
-- @fragment keep_noop true to record UPDATEs that change nothing
DECLARE
    oj jsonb;
    nj jsonb;
    changed text[];
BEGIN
    IF TG_LEVEL = 'STATEMENT' THEN
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
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        oj := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        nj := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        changed := {{row_changed}};
        IF changed = '{}' AND NOT {{keep_noop}} THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO {{schema}}.pg_audit_log (
        schema_name, table_name, operation, old_data, new_data, changed_fields,
        ip_address, updated_by, is_db_user, db_user, application_name,
        api_name, http_method, request_id, transaction_id, context
    )
    SELECT {{table_schema}}, {{table_name}}, TG_OP,
           CASE WHEN oj IS NOT NULL THEN {{row_old_data}} END,
           CASE WHEN nj IS NOT NULL THEN {{row_new_data}} END,
           to_jsonb(changed),
           c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
           c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
    FROM {{schema}}.pg_audit_context() AS c;
    RETURN NULL;
END
