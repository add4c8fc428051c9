-- Body of pg_audit_render_table(rel, masked, ignored, keep_noop): the audit function and
-- triggers of one table, rendered in SQL for the automatic attach exactly as the Rust
-- renderer (pg-audit-runtime/src/schema/trigger.rs) renders them from the same templates,
-- whose bodies are baked in here as literals; tests/living_schema.rs checks the two give the
-- same text byte for byte. Returns the function's name, the SQL, its hash and the triggers
-- it creates (as "relation oid, space, trigger name").
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
-- @literal role_name the audit role, as a string
-- @literal t_function trigger_function.sql's body
-- @literal t_body trigger_body.sql's body
-- @literal t_paired trigger_update_paired.sql's body
-- @literal t_unpaired trigger_update_unpaired.sql's body
-- @literal t_counts_equal expr_counts_equal.sql's body
-- @literal t_masked expr_masked.sql's body
-- @literal t_key_value expr_key_value.sql's body
-- @literal t_key_array expr_key_array.sql's body
-- @literal t_record_id_single expr_record_id_single.sql's body
-- @literal t_record_id_composite expr_record_id_composite.sql's body
-- @literal t_json_text expr_json_text.sql's body
-- @literal t_record_key expr_record_key.sql's body
-- @literal t_json_changed expr_json_changed.sql's body
-- @literal t_json_column_changed expr_json_column_changed.sql's body
-- @literal t_changed_fields expr_changed_fields.sql's body
-- @literal t_column_changed expr_column_changed.sql's body
-- @literal t_column_unchanged expr_column_unchanged.sql's body
-- @literal t_new_values expr_new_values.sql's body
-- @literal t_not_ignored expr_not_ignored.sql's body
-- @literal t_statement_triggers create_statement_triggers.sql's body
-- @literal t_truncate_trigger create_truncate_trigger.sql's body
DECLARE
    q_schema text := {{schema}}.pg_audit_quote_ident({{schema_name}});
    t_schema text;
    t_name text;
    t_kind "char";
    key_columns text[];
    all_columns text[];
    json_columns text[];
    row_text text;
    mask_json text;
    v text;
    masked_of jsonb := '{}';
    record_id_of jsonb := '{}';
    key_of jsonb := '{}';
    parts text[];
    changed text;
    new_values text;
    ignored_filter text := '';
    keep text := CASE WHEN keep_noop THEN 'true' ELSE 'false' END;
    body text;
    statements text[];
    target record;
BEGIN
    SELECT n.nspname::text, c.relname::text, c.relkind
    INTO t_schema, t_name, t_kind
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
    WHERE c.oid OPERATOR(pg_catalog.=) rel;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pg-audit: no table with oid %', rel;
    END IF;
    -- The key and the columns, as catalog_tables.sql reads them.
    key_columns := COALESCE((
        SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.ordinality)
        FROM pg_catalog.pg_index AS i
        CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ordinality)
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid OPERATOR(pg_catalog.=) i.indrelid AND a.attnum OPERATOR(pg_catalog.=) k.attnum
        WHERE i.indrelid OPERATOR(pg_catalog.=) rel AND i.indisprimary
    ), '{}');
    all_columns := COALESCE((
        SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    ), '{}');
    json_columns := COALESCE((
        SELECT pg_catalog.array_agg(a.attname::text ORDER BY a.attnum)
        FROM pg_catalog.pg_attribute AS a
        JOIN pg_catalog.pg_type AS ty ON ty.oid OPERATOR(pg_catalog.=) a.atttypid
        WHERE a.attrelid OPERATOR(pg_catalog.=) rel AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
          AND (a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.json'::pg_catalog.regtype
               OR ty.typelem OPERATOR(pg_catalog.=) 'pg_catalog.json'::pg_catalog.regtype
               OR ty.typbasetype OPERATOR(pg_catalog.=) 'pg_catalog.json'::pg_catalog.regtype)
    ), '{}');
    function_name := {{schema}}.pg_audit_function_name(t_schema, t_name);

    -- Expressions::masked, ::record_id_or_null and ::pairing_key over each row variable.
    IF pg_catalog.cardinality(masked) OPERATOR(pg_catalog.>) 0 THEN
        mask_json := '{' OPERATOR(pg_catalog.||) (
            SELECT pg_catalog.string_agg(pg_catalog.to_json(m.c)::text OPERATOR(pg_catalog.||) ':"********"', ',' ORDER BY m.i)
            FROM pg_catalog.unnest(masked) WITH ORDINALITY AS m(c, i)
        ) OPERATOR(pg_catalog.||) '}';
    END IF;
    FOREACH v IN ARRAY ARRAY['r.j', 'x.oj', 'x.nj', 'o.j', 'n.j'] LOOP
        masked_of := masked_of OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v, CASE
            WHEN mask_json IS NULL THEN v
            ELSE {{schema}}.pg_audit_fill({{t_masked}}, ARRAY['value', 'mask'],
                ARRAY[v, {{schema}}.pg_audit_quote_literal(mask_json)])
        END);
        parts := ARRAY(
            SELECT {{schema}}.pg_audit_fill({{t_key_value}}, ARRAY['value', 'column'],
                ARRAY[v, {{schema}}.pg_audit_quote_literal(k.c)])
            FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(c, i)
            ORDER BY k.i
        );
        key_of := key_of OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v, CASE pg_catalog.cardinality(parts)
            WHEN 0 THEN 'NULL::jsonb'
            WHEN 1 THEN parts[1]
            ELSE {{schema}}.pg_audit_fill({{t_key_array}}, ARRAY['parts'], ARRAY[pg_catalog.array_to_string(parts, ', ')])
        END);
        -- Expressions::record_id: the key's text (key_text), capped by expr_record_key.
        record_id_of := record_id_of OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(v, CASE pg_catalog.cardinality(key_columns)
            WHEN 0 THEN 'NULL::text'
            ELSE {{schema}}.pg_audit_fill({{t_record_key}}, ARRAY['id'], ARRAY[CASE pg_catalog.cardinality(key_columns)
                WHEN 1 THEN {{schema}}.pg_audit_fill({{t_record_id_single}}, ARRAY['value', 'column'],
                    ARRAY[v, {{schema}}.pg_audit_quote_literal(key_columns[1])])
                ELSE {{schema}}.pg_audit_fill({{t_record_id_composite}}, ARRAY['parts'], ARRAY[(
                    SELECT pg_catalog.string_agg({{schema}}.pg_audit_fill({{t_json_text}}, ARRAY['value'], ARRAY[p.part]), ', ' ORDER BY p.i)
                    FROM pg_catalog.unnest(parts) WITH ORDINALITY AS p(part, i)
                )])
            END])
        END);
    END LOOP;

    -- Expressions::changed over p.oj and p.nj.
    IF pg_catalog.cardinality(ignored) OPERATOR(pg_catalog.>) 0 THEN
        ignored_filter := {{schema}}.pg_audit_fill({{t_not_ignored}}, ARRAY['columns'], ARRAY[(
            SELECT pg_catalog.string_agg({{schema}}.pg_audit_quote_literal(g.c), ', ' ORDER BY g.i)
            FROM pg_catalog.unnest(ignored) WITH ORDINALITY AS g(c, i)
        )]);
    END IF;
    changed := {{schema}}.pg_audit_fill({{t_changed_fields}},
        ARRAY['old_value', 'new_value', 'known', 'ignored_filter'],
        ARRAY['p.oj', 'p.nj', COALESCE((
            SELECT pg_catalog.string_agg({{schema}}.pg_audit_fill({{t_column_changed}},
                ARRAY['old_value', 'new_value', 'column'],
                ARRAY['p.oj', 'p.nj', {{schema}}.pg_audit_quote_literal(a.c)]), ', ' ORDER BY a.i)
            FROM pg_catalog.unnest(all_columns) WITH ORDINALITY AS a(c, i)
            WHERE a.c OPERATOR(pg_catalog.<>) ALL (ignored)
        ), ''), ignored_filter]);
    -- A json column whose text alone changed counts as changed (expr_json_changed).
    IF EXISTS (SELECT 1 FROM pg_catalog.unnest(json_columns) AS j(c) WHERE j.c OPERATOR(pg_catalog.<>) ALL (ignored)) THEN
        changed := {{schema}}.pg_audit_fill({{t_json_changed}}, ARRAY['changed', 'json_changed'], ARRAY[changed, (
            SELECT pg_catalog.string_agg({{schema}}.pg_audit_fill({{t_json_column_changed}},
                ARRAY['old_value', 'new_value', 'old_text', 'new_text', 'column'],
                ARRAY['p.oj', 'p.nj', 'p.ot', 'p.nt', {{schema}}.pg_audit_quote_literal(j.c)]), ', ' ORDER BY j.i)
            FROM pg_catalog.unnest(json_columns) WITH ORDINALITY AS j(c, i)
            WHERE j.c OPERATOR(pg_catalog.<>) ALL (ignored))]);
        row_text := 'pg_catalog.row_to_json(t.*)';
    ELSE
        row_text := 'NULL::json';
    END IF;

    -- Expressions::new_values over x.oj and x.nj.
    new_values := {{schema}}.pg_audit_fill({{t_new_values}}, ARRAY['new_data', 'unchanged'],
        ARRAY[masked_of ->> 'x.nj', COALESCE((
            SELECT pg_catalog.string_agg({{schema}}.pg_audit_fill({{t_column_unchanged}},
                ARRAY['old_value', 'new_value', 'column'],
                ARRAY['x.oj', 'x.nj', {{schema}}.pg_audit_quote_literal(a.c)]), ', ' ORDER BY a.i)
            FROM pg_catalog.unnest(all_columns) WITH ORDINALITY AS a(c, i)
        ), '')]);

    -- Expressions::body: only a partitioned table's counts an UPDATE's rows.
    body := {{schema}}.pg_audit_fill({{t_body}},
        ARRAY['schema', 'inserted_data', 'inserted_record_id', 'counts_equal', 'update_paired', 'update_unpaired'],
        ARRAY[q_schema, masked_of ->> 'r.j', record_id_of ->> 'r.j',
            CASE WHEN t_kind OPERATOR(pg_catalog.=) 'p' THEN {{t_counts_equal}} ELSE 'true' END,
            {{schema}}.pg_audit_fill({{t_paired}},
                ARRAY['schema', 'row_text', 'changed', 'old_data', 'new_values', 'record_id', 'keep_noop'],
                ARRAY[q_schema, row_text, changed, masked_of ->> 'x.oj', new_values, record_id_of ->> 'x.nj', keep]),
            {{schema}}.pg_audit_fill({{t_unpaired}},
                ARRAY['schema', 'old_key', 'new_key', 'row_text', 'changed', 'old_data', 'new_data',
                      'new_values', 'old_record_id', 'new_record_id', 'keep_noop'],
                ARRAY[q_schema, key_of ->> 'o.j', key_of ->> 'n.j', row_text, changed, masked_of ->> 'x.oj',
                      masked_of ->> 'x.nj', new_values, record_id_of ->> 'x.oj', record_id_of ->> 'x.nj', keep])]);

    -- render_table: the function, statement triggers on the table and each partition,
    -- TRUNCATE triggers on the table or, when partitioned, on each leaf partition.
    statements := ARRAY[{{schema}}.pg_audit_fill({{t_function}},
        ARRAY['schema', 'role', 'function_name', 'body'],
        ARRAY[q_schema, {{schema}}.pg_audit_quote_ident({{role_name}}),
              {{schema}}.pg_audit_quote_ident(function_name), {{schema}}.pg_audit_quote_dollar(body)])];
    triggers := '{}';
    FOR target IN
        SELECT 0 AS position, t_schema AS table_schema, t_name AS table_name, rel AS relid, t_kind OPERATOR(pg_catalog.<>) 'p' AS is_leaf
        UNION ALL
        SELECT 1, pn.nspname::text, pc.relname::text, t.relid, t.isleaf
        FROM pg_catalog.pg_partition_tree(rel) AS t
        JOIN pg_catalog.pg_class AS pc ON pc.oid OPERATOR(pg_catalog.=) t.relid
        JOIN pg_catalog.pg_namespace AS pn ON pn.oid OPERATOR(pg_catalog.=) pc.relnamespace
        WHERE t.relid OPERATOR(pg_catalog.<>) rel
        ORDER BY 1, 2, 3
    LOOP
        statements := statements OPERATOR(pg_catalog.||) {{schema}}.pg_audit_fill({{t_statement_triggers}},
            ARRAY['schema', 'function_name', 'table_schema', 'table_name'],
            ARRAY[q_schema, {{schema}}.pg_audit_quote_ident(function_name),
                  {{schema}}.pg_audit_quote_ident(target.table_schema), {{schema}}.pg_audit_quote_ident(target.table_name)]);
        triggers := triggers OPERATOR(pg_catalog.||) ARRAY[
            target.relid::text OPERATOR(pg_catalog.||) ' pg_audit_insert',
            target.relid::text OPERATOR(pg_catalog.||) ' pg_audit_update',
            target.relid::text OPERATOR(pg_catalog.||) ' pg_audit_delete'];
    END LOOP;
    FOR target IN
        SELECT t_schema AS table_schema, t_name AS table_name, rel AS relid
        WHERE t_kind OPERATOR(pg_catalog.<>) 'p'
        UNION ALL
        SELECT pn.nspname::text, pc.relname::text, t.relid
        FROM pg_catalog.pg_partition_tree(rel) AS t
        JOIN pg_catalog.pg_class AS pc ON pc.oid OPERATOR(pg_catalog.=) t.relid
        JOIN pg_catalog.pg_namespace AS pn ON pn.oid OPERATOR(pg_catalog.=) pc.relnamespace
        WHERE t_kind OPERATOR(pg_catalog.=) 'p' AND t.relid OPERATOR(pg_catalog.<>) rel AND t.isleaf
        ORDER BY 1, 2
    LOOP
        statements := statements OPERATOR(pg_catalog.||) {{schema}}.pg_audit_fill({{t_truncate_trigger}},
            ARRAY['schema', 'function_name', 'table_schema', 'table_name'],
            ARRAY[q_schema, {{schema}}.pg_audit_quote_ident(function_name),
                  {{schema}}.pg_audit_quote_ident(target.table_schema), {{schema}}.pg_audit_quote_ident(target.table_name)]);
        triggers := triggers OPERATOR(pg_catalog.||) (target.relid::text OPERATOR(pg_catalog.||) ' pg_audit_truncate');
    END LOOP;
    create_sql := pg_catalog.array_to_string(statements, E'\n');
    definition_hash := {{schema}}.pg_audit_stable_hash(pg_catalog.convert_to(create_sql, 'UTF8'));
END
