-- Body of pg_audit_trail_ddl(), run at the end of every DDL command: records each command on
-- an audited table (its partitions, indexes, triggers, rules and policies included) or on
-- an object of the audit schema as a DDL row: the command tag, the object's type and
-- identity (never the statement's text, whose literals may hold secrets), and the audit
-- and guard triggers of the table left not ENABLE ALWAYS. pg-audit's own runs, which hold a
-- token, record themselves instead.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    r record;
    rel oid;
    obj_schema text;
    obj_name text;
    seen text[] := '{}';
BEGIN
    IF {{schema}}.pg_audit_ddl_suppressed() THEN
        RETURN;
    END IF;
    FOR r IN
        SELECT c.command_tag, c.object_type, c.object_identity, c.schema_name, c.classid, c.objid
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
        WHERE NOT c.in_extension
    LOOP
        rel := CASE r.classid
            WHEN 'pg_catalog.pg_class'::pg_catalog.regclass THEN (
                SELECT CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid OPERATOR(pg_catalog.=) c.oid)
                            ELSE c.oid END
                FROM pg_catalog.pg_class AS c WHERE c.oid OPERATOR(pg_catalog.=) r.objid)
            WHEN 'pg_catalog.pg_trigger'::pg_catalog.regclass THEN (
                SELECT t.tgrelid FROM pg_catalog.pg_trigger AS t WHERE t.oid OPERATOR(pg_catalog.=) r.objid)
            WHEN 'pg_catalog.pg_policy'::pg_catalog.regclass THEN (
                SELECT p.polrelid FROM pg_catalog.pg_policy AS p WHERE p.oid OPERATOR(pg_catalog.=) r.objid)
            WHEN 'pg_catalog.pg_rewrite'::pg_catalog.regclass THEN (
                SELECT w.ev_class FROM pg_catalog.pg_rewrite AS w WHERE w.oid OPERATOR(pg_catalog.=) r.objid)
        END;
        obj_schema := NULL;
        IF rel IS NOT NULL THEN
            SELECT n.nspname::text, c.relname::text INTO obj_schema, obj_name
            FROM pg_catalog.pg_class AS c
            JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
            WHERE c.oid OPERATOR(pg_catalog.=) rel;
            IF obj_schema OPERATOR(pg_catalog.<>) {{schema_name}} AND NOT {{schema}}.pg_audit_is_audited(rel) THEN
                obj_schema := NULL;
            END IF;
        ELSIF r.schema_name OPERATOR(pg_catalog.=) {{schema_name}} THEN
            obj_schema := r.schema_name;
            obj_name := COALESCE(
                (SELECT p.proname::text FROM pg_catalog.pg_proc AS p
                 WHERE r.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass AND p.oid OPERATOR(pg_catalog.=) r.objid),
                r.object_identity);
        END IF;
        CONTINUE WHEN obj_schema IS NULL
            OR (r.command_tag OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) COALESCE(r.object_identity, '')) OPERATOR(pg_catalog.=) ANY (seen);
        seen := seen OPERATOR(pg_catalog.||) (r.command_tag OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) COALESCE(r.object_identity, ''));
        PERFORM {{schema}}.pg_audit_record('DDL', obj_schema, obj_name, ARRAY[NULL]::text[], ARRAY[pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'command_tag', r.command_tag,
            'object_type', r.object_type,
            'identity', r.object_identity,
            'triggers_not_enabled_always', {{schema}}.pg_audit_triggers_not_enabled_always(rel)))]);
    END LOOP;
END
