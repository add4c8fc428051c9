-- Body of pg_audit_trail_drop(), run when a command drops objects: records each dropped
-- audited table (a partition of one included), each trigger dropped from an audited table
-- or with an audit trigger's name, and each object dropped from the audit schema, as a DDL
-- row with the command tag and the object's type and identity. pg-audit's own runs, which
-- hold a token, record themselves instead.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
-- @literals trigger_names the audit triggers' names
DECLARE
    r record;
    relevant boolean;
BEGIN
    IF {{schema}}.pg_audit_ddl_suppressed() THEN
        RETURN;
    END IF;
    FOR r IN
        SELECT d.object_type, d.object_identity, d.schema_name, d.address_names
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
        WHERE d.original AND NOT d.is_temporary
          AND d.object_type IN ('table', 'trigger', 'function', 'index', 'sequence', 'view', 'type', 'table constraint')
    LOOP
        relevant := r.address_names[1] OPERATOR(pg_catalog.=) {{schema_name}};
        IF NOT relevant AND r.object_type OPERATOR(pg_catalog.=) 'table' THEN
            relevant := EXISTS (
                    SELECT 1 FROM {{schema}}.pg_audit_tables AS e
                    WHERE e.schema_name OPERATOR(pg_catalog.=) r.address_names[1]
                      AND e.table_name OPERATOR(pg_catalog.=) r.address_names[2] AND NOT e.excluded)
                OR EXISTS (
                    SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() AS t
                    WHERE t.object_type OPERATOR(pg_catalog.=) 'trigger'
                      AND t.address_names[1] OPERATOR(pg_catalog.=) r.address_names[1]
                      AND t.address_names[2] OPERATOR(pg_catalog.=) r.address_names[2]
                      AND t.address_names[3] OPERATOR(pg_catalog.=) ANY (ARRAY[{{trigger_names}}]::text[]));
        ELSIF NOT relevant AND r.object_type OPERATOR(pg_catalog.=) 'trigger' THEN
            relevant := r.address_names[3] OPERATOR(pg_catalog.=) ANY (ARRAY[{{trigger_names}}]::text[])
                OR {{schema}}.pg_audit_is_audited(pg_catalog.to_regclass(
                    pg_catalog.quote_ident(r.address_names[1]) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(r.address_names[2])));
        END IF;
        CONTINUE WHEN NOT relevant;
        PERFORM {{schema}}.pg_audit_record('DDL', r.address_names[1], COALESCE(r.address_names[2], r.object_identity),
            ARRAY[NULL]::text[], ARRAY[pg_catalog.jsonb_build_object(
                'command_tag', TG_TAG,
                'object_type', r.object_type,
                'identity', r.object_identity)]);
    END LOOP;
END
