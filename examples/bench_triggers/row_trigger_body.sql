-- Benchmark: a row-level audit trigger for rowlevel.bench_r, writing the same audit rows as
-- pg-audit's keyed statement-level trigger (same log table, same context function, changed
-- columns compared by known key first, no-op UPDATEs filtered), one row per call.
-- @ident schema the audit schema
DECLARE
    oj jsonb;
    nj jsonb;
    changed text[];
BEGIN
    IF TG_OP <> 'INSERT' THEN
        oj := to_jsonb(OLD);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        nj := to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' THEN
        changed := CASE
            WHEN oj = nj THEN '{}'::text[]
            ELSE COALESCE(
                NULLIF(array_remove(ARRAY[
                    CASE WHEN (oj -> 'id') IS DISTINCT FROM (nj -> 'id') THEN 'id' END,
                    CASE WHEN (oj -> 'customer') IS DISTINCT FROM (nj -> 'customer') THEN 'customer' END,
                    CASE WHEN (oj -> 'total') IS DISTINCT FROM (nj -> 'total') THEN 'total' END,
                    CASE WHEN (oj -> 'status') IS DISTINCT FROM (nj -> 'status') THEN 'status' END,
                    CASE WHEN (oj -> 'updated_at') IS DISTINCT FROM (nj -> 'updated_at') THEN 'updated_at' END
                ]::text[], NULL), '{}'::text[]),
                ARRAY(SELECT e.key FROM jsonb_each(nj) AS e WHERE e.value IS DISTINCT FROM oj -> e.key)
            )
        END;
        IF changed = '{}' THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO {{schema}}.pg_audit_log_data (
        schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
        ip_address, updated_by, is_db_user, db_user, application_name,
        api_name, http_method, request_id, transaction_id, context
    )
    SELECT 'rowlevel', 'bench_r', TG_OP, oj, nj, to_jsonb(changed), COALESCE(nj, oj) ->> 'id',
           c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
           c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
    FROM {{schema}}.pg_audit_context() AS c;
    RETURN NULL;
END
