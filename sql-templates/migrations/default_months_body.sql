-- Body of pg_audit_default_months(parent): the months (UTC) of which a log's default
-- partition holds rows; none when it has no default partition. Rows at +-infinity belong
-- to no month and stay there.
-- @literal schema_name the audit schema, as a string
DECLARE
    months timestamptz[];
BEGIN
    IF parent NOT IN ('pg_audit_log_data', 'pg_api_audit_log') THEN
        RAISE EXCEPTION 'pg-audit: % is not an audit log', parent;
    END IF;
    IF to_regclass(format('%I.%I', {{schema_name}}, parent || '_default')) IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT array_agg(DISTINCT date_trunc(''month'', t.%1$I)) FROM %2$I.%3$I AS t WHERE isfinite(t.%1$I)',
        CASE parent WHEN 'pg_api_audit_log' THEN 'created_at' ELSE 'updated_at' END,
        {{schema_name}}, parent || '_default')
        INTO months;
    RETURN QUERY SELECT unnest(coalesce(months, '{}'));
END
