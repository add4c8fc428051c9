-- The functions of the DDL trail and the automatic attach, created by attach (so they follow
-- the templates of the running version) and owned by the audit schema's owner, which is
-- what the event triggers' SECURITY DEFINER entry points run as, whoever issued the DDL:
-- they read the catalog and the registry, create triggers and write audit rows, never run
-- code of the tables (no row is read), build every statement from the trigger templates
-- with every name quoted, and pin search_path. The helpers run with their caller's rights.
-- @ident schema the audit schema
-- @ident owner the audit schema's owner
-- @dollar fnv_body rendered event_fnv_body
-- @dollar fill_body rendered event_fill_body
-- @dollar render_body rendered event_render_body
-- @dollar rules_body rendered event_rules_body
-- @dollar sync_body rendered event_sync_body
-- @dollar trail_ddl_body rendered event_trail_ddl_body
-- @dollar trail_drop_body rendered event_trail_drop_body
-- @dollar sync_ddl_body rendered event_sync_ddl_body
-- @dollar sync_drop_body rendered event_sync_drop_body
-- @literal schema_name the audit schema, as a string

-- Quoting as pg-audit-sql's quote.rs does it: identifiers always double-quoted, literals
-- with E'' when they hold a backslash (chr(92), so the text of this function does not depend
-- on standard_conforming_strings), dollar quotes with a tag absent from the body.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_quote_ident(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT '"' || replace(value, '"', '""') || '"' $fn$;

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_quote_literal(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT CASE WHEN strpos(value, chr(92)) > 0 THEN 'E' ELSE '' END
        || '''' || replace(replace(value, chr(92), chr(92) || chr(92)), '''', '''''') || ''''
$fn$;

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_quote_dollar(body text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    tag text := '$pg_audit$';
    counter integer := 0;
BEGIN
    WHILE strpos(body, tag) > 0 LOOP
        counter := counter + 1;
        tag := '$pg_audit_' || counter || '$';
    END LOOP;
    RETURN tag || body || tag;
END
$fn$;

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_stable_hash(bytes bytea) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS {{fnv_body}};

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_fill(template text, names text[], vals text[]) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS {{fill_body}};

-- A table's audit function name, as trigger.rs's function_name makes it.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_function_name(t_schema text, t_name text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT 'pg_audit_fn_'
        || left(translate(regexp_replace(t_schema || '_' || t_name, '[^0-9A-Za-z]', '_', 'g'),
                          'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), 38)
        || '_'
        || right({{schema}}.pg_audit_stable_hash(convert_to(t_schema, 'UTF8') || decode('00', 'hex') || convert_to(t_name, 'UTF8')), 12)
$fn$;

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_render_table(
    rel oid, masked text[], ignored text[], keep_noop boolean,
    OUT function_name text, OUT create_sql text, OUT definition_hash text, OUT triggers text[]
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS {{render_body}};

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_table_rules(
    t_schema text, t_name text,
    OUT in_scope boolean, OUT excluded boolean, OUT excluded_by text, OUT masked text[], OUT ignored text[], OUT keep_noop boolean
)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS {{rules_body}};

-- Whether a table (or the root of a partition) is audited: it has audit triggers, or the
-- registry holds it as audited (its triggers may just have been disabled or dropped).
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_is_audited(rel oid) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT COALESCE((
        SELECT EXISTS (
                   SELECT 1 FROM pg_trigger AS t
                   JOIN pg_proc AS p ON p.oid = t.tgfoid
                   JOIN pg_namespace AS pn ON pn.oid = p.pronamespace
                   WHERE pn.nspname = {{schema_name}} AND NOT t.tgisinternal
                     AND (t.tgrelid = root.oid OR t.tgrelid IN (SELECT pt.relid FROM pg_partition_tree(root.oid) AS pt)))
            OR EXISTS (
                   SELECT 1 FROM {{schema}}.pg_audit_tables AS e
                   WHERE e.schema_name = n.nspname::text AND e.table_name = c.relname::text AND NOT e.excluded)
        FROM (SELECT COALESCE(pg_partition_root(rel), rel) AS oid) AS root
        JOIN pg_class AS c ON c.oid = root.oid
        JOIN pg_namespace AS n ON n.oid = c.relnamespace
    ), false)
$fn$;

-- The audit and guard triggers of a table (and its partitions) that are not ENABLE ALWAYS,
-- as "table.trigger (tgenabled)", or NULL when there is none.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_triggers_not_enabled_always(rel oid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT jsonb_agg(t.tgrelid::regclass::text || '.' || quote_ident(t.tgname) || ' (' || t.tgenabled::text || ')'
                     ORDER BY t.tgrelid::regclass::text, t.tgname)
    FROM pg_trigger AS t
    JOIN pg_proc AS p ON p.oid = t.tgfoid
    JOIN pg_namespace AS pn ON pn.oid = p.pronamespace
    WHERE pn.nspname = {{schema_name}} AND NOT t.tgisinternal AND t.tgenabled <> 'A'
      AND (t.tgrelid = COALESCE(pg_partition_root(rel), rel)
           OR t.tgrelid IN (SELECT pt.relid FROM pg_partition_tree(COALESCE(pg_partition_root(rel), rel)) AS pt))
$fn$;

-- Whether a pg-audit run holding a token is in progress in this transaction.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_ddl_suppressed() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT EXISTS (
        SELECT 1 FROM {{schema}}.pg_audit_ddl_tokens AS t
        WHERE t.token::text = current_setting('pg_audit.ddl_token', true))
$fn$;

-- Top-level tables, not among the given ones, whose audit triggers call a function that the
-- triggers of one of the given tables (or their partitions) call: a partition just detached.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_tables_sharing_functions(tables oid[]) RETURNS oid[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT ARRAY(
        SELECT DISTINCT o.tgrelid
        FROM pg_trigger AS o
        JOIN pg_class AS c ON c.oid = o.tgrelid
        WHERE NOT c.relispartition AND o.tgrelid <> ALL (tables)
          AND o.tgfoid IN (
              SELECT t.tgfoid FROM pg_trigger AS t
              JOIN pg_proc AS p ON p.oid = t.tgfoid
              JOIN pg_namespace AS pn ON pn.oid = p.pronamespace
              WHERE pn.nspname = {{schema_name}}
                AND (t.tgrelid = ANY (tables)
                     OR t.tgrelid IN (SELECT pt.relid FROM unnest(tables) AS g(oid), pg_partition_tree(g.oid) AS pt))))
$fn$;

-- Forgets registry entries of the declared schemas whose table is gone, as attach does.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_forget_gone_tables() RETURNS void
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $fn$
    DELETE FROM {{schema}}.pg_audit_tables AS r
    WHERE r.schema_name IN (
            SELECT jsonb_array_elements_text(s.value) FROM {{schema}}.pg_audit_settings AS s WHERE s.name = 'schemas')
      AND NOT EXISTS (
          SELECT 1 FROM pg_class AS c
          JOIN pg_namespace AS n ON n.oid = c.relnamespace
          WHERE n.nspname = r.schema_name AND c.relname = r.table_name
            AND c.relkind IN ('r', 'p') AND NOT c.relispartition)
$fn$;

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_sync_table(rel oid, cause text) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS {{sync_body}};

-- The entry points of the event triggers.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_trail_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{trail_ddl_body}};

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_trail_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{trail_drop_body}};

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_sync_ddl() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{sync_ddl_body}};

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_sync_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{sync_drop_body}};

ALTER FUNCTION {{schema}}.pg_audit_quote_ident(text) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_quote_literal(text) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_quote_dollar(text) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_stable_hash(bytea) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_fill(text, text[], text[]) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_function_name(text, text) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_render_table(oid, text[], text[], boolean) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_table_rules(text, text) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_is_audited(oid) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_triggers_not_enabled_always(oid) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_ddl_suppressed() OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_tables_sharing_functions(oid[]) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_forget_gone_tables() OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_sync_table(oid, text) OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_trail_ddl() OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_trail_drop() OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_sync_ddl() OWNER TO {{owner}};
ALTER FUNCTION {{schema}}.pg_audit_sync_drop() OWNER TO {{owner}};
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_quote_ident(text), {{schema}}.pg_audit_quote_literal(text),
    {{schema}}.pg_audit_quote_dollar(text), {{schema}}.pg_audit_stable_hash(bytea), {{schema}}.pg_audit_fill(text, text[], text[]),
    {{schema}}.pg_audit_function_name(text, text), {{schema}}.pg_audit_render_table(oid, text[], text[], boolean),
    {{schema}}.pg_audit_table_rules(text, text), {{schema}}.pg_audit_is_audited(oid),
    {{schema}}.pg_audit_triggers_not_enabled_always(oid), {{schema}}.pg_audit_ddl_suppressed(),
    {{schema}}.pg_audit_tables_sharing_functions(oid[]), {{schema}}.pg_audit_forget_gone_tables(),
    {{schema}}.pg_audit_sync_table(oid, text), {{schema}}.pg_audit_trail_ddl(), {{schema}}.pg_audit_trail_drop(),
    {{schema}}.pg_audit_sync_ddl(), {{schema}}.pg_audit_sync_drop() FROM PUBLIC;
