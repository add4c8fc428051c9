-- Body of pg_audit_log_insert(), the INSTEAD OF INSERT trigger of the view pg_audit_log: a
-- row written to the view (by a trigger function rendered before migration 7, or by
-- pg_audit_purge's record of its run) lands in the data log as it is given, an UPDATE's
-- whole new row as its new values, which the view reads back unchanged. The triggers
-- pg-audit renders now write the data log directly, compact.
-- @ident schema the audit schema
BEGIN
    INSERT INTO {{schema}}.pg_audit_log_data (
        schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
        ip_address, updated_at, updated_by, is_db_user, db_user, application_name,
        api_name, http_method, request_id, transaction_id, context
    )
    VALUES (
        NEW.schema_name, NEW.table_name, NEW.operation, NEW.old_data,
        NEW.new_data,
        NEW.changed_fields, NEW.record_id, NEW.ip_address, coalesce(NEW.updated_at, statement_timestamp()),
        NEW.updated_by, coalesce(NEW.is_db_user, false), NEW.db_user, NEW.application_name,
        NEW.api_name, NEW.http_method, NEW.request_id, NEW.transaction_id, NEW.context
    )
    RETURNING id, updated_at INTO NEW.id, NEW.updated_at;
    RETURN NEW;
END
