-- Body of pg_audit_sync_drop(), the automatic attach after a command that drops objects: a
-- table that lost an audit trigger gets it back; when an audited table or partition was
-- dropped, every audited partitioned table is brought up to date (the partition's parent is
-- no longer known) and the registry forgets tables that are gone.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
-- @literals trigger_names the audit triggers' names
DECLARE
    tables oid[];
    rel oid;
    run_token uuid := pg_catalog.gen_random_uuid();
    previous text := pg_catalog.current_setting('pg_audit.ddl_token', true);
    audited_table_dropped boolean;
BEGIN
    IF {{schema}}.pg_audit_ddl_suppressed() THEN
        RETURN;
    END IF;
    tables := ARRAY(
        SELECT DISTINCT COALESCE(pg_catalog.pg_partition_root(t.relid), t.relid)
        FROM (
            SELECT pg_catalog.to_regclass(pg_catalog.quote_ident(d.address_names[1]) OPERATOR(pg_catalog.||) '.'
                                          OPERATOR(pg_catalog.||) pg_catalog.quote_ident(d.address_names[2]))::oid AS relid
            FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
            WHERE d.original AND d.object_type OPERATOR(pg_catalog.=) 'trigger'
              AND d.address_names[3] OPERATOR(pg_catalog.=) ANY (ARRAY[{{trigger_names}}]::text[])
        ) AS t
        WHERE t.relid IS NOT NULL);
    audited_table_dropped := EXISTS (
        SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
        WHERE d.object_type OPERATOR(pg_catalog.=) 'trigger'
          AND d.address_names[3] OPERATOR(pg_catalog.=) ANY (ARRAY[{{trigger_names}}]::text[])
          AND EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
                      WHERE o.object_type OPERATOR(pg_catalog.=) 'table'
                        AND o.address_names[1] OPERATOR(pg_catalog.=) d.address_names[1]
                        AND o.address_names[2] OPERATOR(pg_catalog.=) d.address_names[2]));
    IF audited_table_dropped THEN
        tables := tables OPERATOR(pg_catalog.||) ARRAY(
            SELECT DISTINCT t.tgrelid
            FROM pg_catalog.pg_trigger AS t
            JOIN pg_catalog.pg_class AS c ON c.oid OPERATOR(pg_catalog.=) t.tgrelid
            JOIN pg_catalog.pg_proc AS p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid
            JOIN pg_catalog.pg_namespace AS pn ON pn.oid OPERATOR(pg_catalog.=) p.pronamespace
            WHERE pn.nspname OPERATOR(pg_catalog.=) {{schema_name}}
              AND c.relkind OPERATOR(pg_catalog.=) 'p' AND NOT c.relispartition);
    END IF;
    IF pg_catalog.cardinality(tables) OPERATOR(pg_catalog.=) 0 AND NOT audited_table_dropped THEN
        RETURN;
    END IF;
    INSERT INTO {{schema}}.pg_audit_ddl_tokens (token) VALUES (run_token);
    PERFORM pg_catalog.set_config('pg_audit.ddl_token', run_token::text, true);
    FOREACH rel IN ARRAY tables LOOP
        PERFORM {{schema}}.pg_audit_sync_table(rel, TG_TAG);
    END LOOP;
    PERFORM {{schema}}.pg_audit_forget_gone_tables();
    PERFORM pg_catalog.set_config('pg_audit.ddl_token', COALESCE(previous, ''), true);
    DELETE FROM {{schema}}.pg_audit_ddl_tokens AS t WHERE t.token OPERATOR(pg_catalog.=) run_token;
END
