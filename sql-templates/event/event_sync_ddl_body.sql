-- Body of pg_audit_sync_ddl(), the automatic attach, run at the end of every DDL command
-- after the trail: each table a CREATE TABLE, CREATE TABLE AS, SELECT INTO or ALTER TABLE
-- made or changed (a partition stands for its root), and each table whose audit triggers
-- call the same function as one of those (a partition just detached), is brought to what
-- attach would make of it, in the DDL's own transaction, before any row can be written to
-- it. The run holds a token, so the trail leaves its own statements to it.
-- @ident schema the audit schema
DECLARE
    tables oid[];
    cause text;
    rel oid;
    run_token uuid := pg_catalog.gen_random_uuid();
    previous text := pg_catalog.current_setting('pg_audit.ddl_token', true);
BEGIN
    IF {{schema}}.pg_audit_ddl_suppressed() THEN
        RETURN;
    END IF;
    tables := ARRAY(
        SELECT DISTINCT COALESCE(pg_catalog.pg_partition_root(c.objid), c.objid)
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
        WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass
          AND c.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
          AND c.object_type IN ('table', 'table column'));
    IF pg_catalog.cardinality(tables) OPERATOR(pg_catalog.=) 0 THEN
        RETURN;
    END IF;
    cause := (SELECT pg_catalog.string_agg(DISTINCT c.command_tag, ', ') FROM pg_catalog.pg_event_trigger_ddl_commands() AS c);
    tables := tables OPERATOR(pg_catalog.||) {{schema}}.pg_audit_tables_sharing_functions(tables);
    INSERT INTO {{schema}}.pg_audit_ddl_tokens (token) VALUES (run_token);
    PERFORM pg_catalog.set_config('pg_audit.ddl_token', run_token::text, true);
    FOREACH rel IN ARRAY tables LOOP
        PERFORM {{schema}}.pg_audit_sync_table(rel, cause);
    END LOOP;
    PERFORM {{schema}}.pg_audit_forget_gone_tables();
    PERFORM pg_catalog.set_config('pg_audit.ddl_token', COALESCE(previous, ''), true);
    DELETE FROM {{schema}}.pg_audit_ddl_tokens AS t WHERE t.token OPERATOR(pg_catalog.=) run_token;
END
