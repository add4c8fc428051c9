-- Body of pg_audit_sync_table(rel, cause): what attach does for one table, done inside the
-- DDL's transaction by the automatic attach. A table outside the declared schemas, or
-- excluded, loses its audit triggers; any other gets them created, or replaced when they
-- are disabled, call another function (renamed, moved, attached as a partition) or differ
-- from what its shape and rules render now. A renamed or moved table keeps its registry
-- entry (its rules), found by the function its triggers still call. Registry entries of
-- tables that are gone are forgotten, and functions no trigger calls any more dropped. The
-- action taken, if any, is recorded in the trail with the command that caused it. Returns
-- the action (create, replace, drop) or NULL.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
-- @literal t_drop_trigger drop_trigger.sql's body
-- @literal t_drop_function drop_trigger_function.sql's body
DECLARE
    t_schema text;
    t_name text;
    rules record;
    rendered record;
    present record;
    present_set jsonb;
    old_functions text[];
    masked_columns text[];
    ignored_columns text[];
    renamed_from text;
    old_schema text;
    old_name text;
    action text;
    stale boolean;
    f text;
BEGIN
    SELECT n.nspname::text, c.relname::text INTO t_schema, t_name
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
    WHERE c.oid OPERATOR(pg_catalog.=) rel
      AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence OPERATOR(pg_catalog.<>) 't'
      AND n.nspname OPERATOR(pg_catalog.<>) {{schema_name}};
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    present_set := COALESCE((
        SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
            'relid', t.tgrelid, 'table_schema', tn.nspname::text, 'table_name', tc.relname::text,
            'trigger_name', t.tgname::text, 'enabled', t.tgenabled::text, 'function_name', p.proname::text))
        FROM pg_catalog.pg_trigger AS t
        JOIN pg_catalog.pg_class AS tc ON tc.oid OPERATOR(pg_catalog.=) t.tgrelid
        JOIN pg_catalog.pg_namespace AS tn ON tn.oid OPERATOR(pg_catalog.=) tc.relnamespace
        JOIN pg_catalog.pg_proc AS p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid
        JOIN pg_catalog.pg_namespace AS pn ON pn.oid OPERATOR(pg_catalog.=) p.pronamespace
        WHERE pn.nspname OPERATOR(pg_catalog.=) {{schema_name}}
          AND NOT t.tgisinternal
          AND t.tgparentid OPERATOR(pg_catalog.=) 0
          AND (t.tgrelid OPERATOR(pg_catalog.=) rel
               OR t.tgrelid IN (SELECT pt.relid FROM pg_catalog.pg_partition_tree(rel) AS pt))
    ), '[]');
    old_functions := ARRAY(
        SELECT DISTINCT pt.function_name
        FROM pg_catalog.jsonb_to_recordset(present_set) AS pt(function_name text));

    -- Renamed or moved: the entry of the name the triggers' function was made for moves along.
    IF NOT EXISTS (
        SELECT 1 FROM {{schema}}.pg_audit_tables AS r
        WHERE r.schema_name OPERATOR(pg_catalog.=) t_schema AND r.table_name OPERATOR(pg_catalog.=) t_name
    ) THEN
        SELECT g.schema_name, g.table_name INTO old_schema, old_name
        FROM {{schema}}.pg_audit_tables AS g
        WHERE {{schema}}.pg_audit_function_name(g.schema_name, g.table_name) OPERATOR(pg_catalog.=) ANY (old_functions)
          AND NOT EXISTS (
              SELECT 1 FROM pg_catalog.pg_class AS c
              JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
              WHERE n.nspname OPERATOR(pg_catalog.=) g.schema_name AND c.relname OPERATOR(pg_catalog.=) g.table_name
                AND c.relkind IN ('r', 'p') AND NOT c.relispartition)
        ORDER BY g.schema_name, g.table_name
        LIMIT 1;
        IF FOUND THEN
            UPDATE {{schema}}.pg_audit_tables AS r
            SET schema_name = t_schema, table_name = t_name, updated_at = pg_catalog.now()
            WHERE r.schema_name OPERATOR(pg_catalog.=) old_schema AND r.table_name OPERATOR(pg_catalog.=) old_name;
            renamed_from := pg_catalog.quote_ident(old_schema) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(old_name);
        END IF;
    END IF;

    rules := {{schema}}.pg_audit_table_rules(t_schema, t_name);
    IF NOT rules.in_scope OR rules.excluded THEN
        FOR present IN SELECT * FROM pg_catalog.jsonb_to_recordset(present_set) AS pt(relid oid, table_schema text, table_name text, trigger_name text, enabled text, function_name text) LOOP
            EXECUTE {{schema}}.pg_audit_fill({{t_drop_trigger}}, ARRAY['trigger_name', 'table_schema', 'table_name'],
                ARRAY[{{schema}}.pg_audit_quote_ident(present.trigger_name), {{schema}}.pg_audit_quote_ident(present.table_schema),
                      {{schema}}.pg_audit_quote_ident(present.table_name)]);
            action := 'drop';
        END LOOP;
        IF rules.in_scope THEN
            INSERT INTO {{schema}}.pg_audit_tables
                (schema_name, table_name, excluded, excluded_by, masked_columns, ignored_columns, definition_hash, updated_at)
            VALUES (t_schema, t_name, true, rules.excluded_by, rules.masked, rules.ignored, NULL, pg_catalog.now())
            ON CONFLICT (schema_name, table_name) DO UPDATE
            SET excluded = EXCLUDED.excluded, excluded_by = EXCLUDED.excluded_by, definition_hash = NULL, updated_at = pg_catalog.now();
        END IF;
    ELSE
        IF EXISTS (SELECT 1 FROM pg_catalog.unnest(rules.masked) AS m(c)
                   JOIN pg_catalog.pg_index AS i ON i.indrelid OPERATOR(pg_catalog.=) rel AND i.indisprimary
                   JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) rel
                        AND a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::int2[])
                   WHERE a.attname::text OPERATOR(pg_catalog.=) m.c) THEN
            RAISE EXCEPTION 'pg-audit: a masked column of %.% is part of its primary key and cannot be masked (record_id holds the key)',
                pg_catalog.quote_ident(t_schema), pg_catalog.quote_ident(t_name)
                USING HINT = 'Change the key, or the masked columns the application declares for this table.';
        END IF;
        -- A rule naming a column the table does not have (any more) masks or ignores nothing.
        masked_columns := ARRAY(SELECT m.c FROM pg_catalog.unnest(rules.masked) WITH ORDINALITY AS m(c, i)
            WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a WHERE a.attrelid OPERATOR(pg_catalog.=) rel
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped AND a.attname::text OPERATOR(pg_catalog.=) m.c)
            ORDER BY m.i);
        ignored_columns := ARRAY(SELECT g.c FROM pg_catalog.unnest(rules.ignored) WITH ORDINALITY AS g(c, i)
            WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_attribute AS a WHERE a.attrelid OPERATOR(pg_catalog.=) rel
                          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped AND a.attname::text OPERATOR(pg_catalog.=) g.c)
            ORDER BY g.i);
        rendered := {{schema}}.pg_audit_render_table(rel, masked_columns, ignored_columns, rules.keep_noop);
        stale := EXISTS (SELECT 1 FROM pg_catalog.jsonb_to_recordset(present_set) AS pt(relid oid, trigger_name text, enabled text, function_name text)
                         WHERE pt.enabled OPERATOR(pg_catalog.<>) 'A' OR pt.function_name OPERATOR(pg_catalog.<>) rendered.function_name)
            OR ARRAY(SELECT x FROM pg_catalog.unnest(rendered.triggers) AS x ORDER BY 1)
               OPERATOR(pg_catalog.<>) ARRAY(SELECT pt.relid::text OPERATOR(pg_catalog.||) ' ' OPERATOR(pg_catalog.||) pt.trigger_name
                                             FROM pg_catalog.jsonb_to_recordset(present_set) AS pt(relid oid, trigger_name text, enabled text, function_name text) ORDER BY 1)
            OR (SELECT r.definition_hash FROM {{schema}}.pg_audit_tables AS r
                WHERE r.schema_name OPERATOR(pg_catalog.=) t_schema AND r.table_name OPERATOR(pg_catalog.=) t_name)
               IS DISTINCT FROM rendered.definition_hash;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(present_set)) THEN
            action := 'create';
        ELSIF stale THEN
            action := 'replace';
            FOR present IN SELECT * FROM pg_catalog.jsonb_to_recordset(present_set) AS pt(relid oid, table_schema text, table_name text, trigger_name text, enabled text, function_name text) LOOP
                EXECUTE {{schema}}.pg_audit_fill({{t_drop_trigger}}, ARRAY['trigger_name', 'table_schema', 'table_name'],
                    ARRAY[{{schema}}.pg_audit_quote_ident(present.trigger_name), {{schema}}.pg_audit_quote_ident(present.table_schema),
                          {{schema}}.pg_audit_quote_ident(present.table_name)]);
            END LOOP;
        END IF;
        IF action IS NOT NULL THEN
            EXECUTE rendered.create_sql;
        END IF;
        INSERT INTO {{schema}}.pg_audit_tables
            (schema_name, table_name, excluded, excluded_by, masked_columns, ignored_columns, definition_hash, updated_at)
        VALUES (t_schema, t_name, false, NULL, rules.masked, rules.ignored, rendered.definition_hash, pg_catalog.now())
        ON CONFLICT (schema_name, table_name) DO UPDATE
        SET excluded = false, excluded_by = NULL, masked_columns = EXCLUDED.masked_columns,
            ignored_columns = EXCLUDED.ignored_columns, definition_hash = EXCLUDED.definition_hash, updated_at = pg_catalog.now();
    END IF;

    -- Functions no trigger calls any more.
    FOREACH f IN ARRAY old_functions LOOP
        IF NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_trigger AS t
            JOIN pg_catalog.pg_proc AS p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid
            JOIN pg_catalog.pg_namespace AS pn ON pn.oid OPERATOR(pg_catalog.=) p.pronamespace
            WHERE pn.nspname OPERATOR(pg_catalog.=) {{schema_name}} AND p.proname::text OPERATOR(pg_catalog.=) f
        ) THEN
            EXECUTE {{schema}}.pg_audit_fill({{t_drop_function}}, ARRAY['schema', 'function_name'],
                ARRAY[{{schema}}.pg_audit_quote_ident({{schema_name}}), {{schema}}.pg_audit_quote_ident(f)]);
        END IF;
    END LOOP;
    IF action IS NOT NULL OR renamed_from IS NOT NULL THEN
        PERFORM {{schema}}.pg_audit_record('DDL', t_schema, t_name, ARRAY[NULL]::text[], ARRAY[pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'command_tag', 'pg-audit automatic attach',
            'object_type', 'table',
            'identity', pg_catalog.quote_ident(t_schema) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(t_name),
            'action', action,
            'renamed_from', renamed_from,
            'cause', cause))]);
    END IF;
    RETURN action;
END
