-- Body of pg_audit_record from migration 7 on: as migration 6's (whose text stays as it was
-- applied), writing the data log directly.
-- @ident schema the audit schema
DECLARE
    written bigint;
BEGIN
    IF p_operation IS NULL OR p_operation NOT IN ('DDL', 'SNAPSHOT') THEN
        RAISE EXCEPTION 'pg-audit: pg_audit_record writes DDL and SNAPSHOT rows only, not %', p_operation;
    END IF;
    IF pg_catalog.cardinality(p_rows) IS DISTINCT FROM pg_catalog.cardinality(p_record_ids) THEN
        RAISE EXCEPTION 'pg-audit: pg_audit_record needs one record id per row';
    END IF;
    INSERT INTO {{schema}}.pg_audit_log_data (
        schema_name, table_name, operation, new_values, record_id,
        ip_address, updated_by, is_db_user, db_user, application_name,
        api_name, http_method, request_id, transaction_id, context
    )
    SELECT p_schema_name, p_table_name, p_operation, r.row_data, r.record_id,
           c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
           c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
    FROM unnest(p_rows, p_record_ids) AS r(row_data, record_id)
    CROSS JOIN {{schema}}.pg_audit_context() AS c;
    GET DIAGNOSTICS written = ROW_COUNT;
    RETURN written;
END
