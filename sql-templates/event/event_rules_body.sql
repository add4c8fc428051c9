-- Body of pg_audit_table_rules(schema, name): the rules the application declared for one
-- table, as attach applies them: audited only in a declared schema; excluded by the
-- registry (an earlier exclusion, by the declaration or by --exclude), by a declared
-- pattern or as a migration-history table; masked and ignored columns from its registry
-- entry and every declared pattern that matches it, sorted byte-wise and distinct.
-- @ident schema the audit schema
-- @literals history_tables the migration-history tables, never audited
DECLARE
    declared jsonb := COALESCE((
        SELECT pg_catalog.jsonb_object_agg(s.name, s.value) FROM {{schema}}.pg_audit_settings AS s
    ), '{}');
    entry record;
BEGIN
    SELECT r.excluded, r.excluded_by, r.masked_columns, r.ignored_columns
    INTO entry
    FROM {{schema}}.pg_audit_tables AS r
    WHERE r.schema_name OPERATOR(pg_catalog.=) t_schema AND r.table_name OPERATOR(pg_catalog.=) t_name;
    in_scope := t_schema OPERATOR(pg_catalog.=) ANY (ARRAY(
        SELECT pg_catalog.jsonb_array_elements_text(COALESCE(declared -> 'schemas', '["public"]'))));
    excluded_by := CASE
        WHEN entry.excluded THEN COALESCE(entry.excluded_by, 'declared')
        WHEN t_name OPERATOR(pg_catalog.=) ANY (ARRAY[{{history_tables}}]::text[]) THEN 'declared'
        WHEN EXISTS (
            SELECT 1 FROM pg_catalog.jsonb_array_elements(COALESCE(declared -> 'exclude', '[]')) AS p(v)
            WHERE p.v ->> 'name' OPERATOR(pg_catalog.=) t_name
              AND (p.v ->> 'schema' IS NULL OR p.v ->> 'schema' OPERATOR(pg_catalog.=) t_schema))
        THEN 'declared'
    END;
    excluded := excluded_by IS NOT NULL;
    masked := ARRAY(
        SELECT DISTINCT c.name COLLATE "C"
        FROM (
            SELECT pg_catalog.unnest(entry.masked_columns)
            UNION ALL
            SELECT pg_catalog.jsonb_array_elements_text(p.v -> 'columns')
            FROM pg_catalog.jsonb_array_elements(COALESCE(declared -> 'mask', '[]')) AS p(v)
            WHERE p.v ->> 'name' OPERATOR(pg_catalog.=) t_name
              AND (p.v ->> 'schema' IS NULL OR p.v ->> 'schema' OPERATOR(pg_catalog.=) t_schema)
        ) AS c(name)
        WHERE c.name IS NOT NULL
        ORDER BY 1);
    ignored := ARRAY(
        SELECT DISTINCT c.name COLLATE "C"
        FROM (
            SELECT pg_catalog.unnest(entry.ignored_columns)
            UNION ALL
            SELECT pg_catalog.jsonb_array_elements_text(p.v -> 'columns')
            FROM pg_catalog.jsonb_array_elements(COALESCE(declared -> 'ignore', '[]')) AS p(v)
            WHERE p.v ->> 'name' OPERATOR(pg_catalog.=) t_name
              AND (p.v ->> 'schema' IS NULL OR p.v ->> 'schema' OPERATOR(pg_catalog.=) t_schema)
        ) AS c(name)
        WHERE c.name IS NOT NULL
        ORDER BY 1);
    keep_noop := COALESCE((declared ->> 'keep_noop_updates')::boolean, false);
END
