-- Body of the audit trigger function of a table. INSERT, UPDATE and DELETE are recorded
-- set-based, once per statement, from the transition tables, so a bulk statement pays no
-- per-row PL/pgSQL price. The rows of an UPDATE are paired by their position in the two
-- transition tables, which PostgreSQL fills in step (an old row and its new row are appended
-- together, a row moved to another partition old first, new next), so a key changed by any
-- means, a deferrable key with transient duplicates or a row moved between partitions is
-- paired with its own new row. Only when a moved row lost its new row (a BEFORE INSERT
-- trigger of the destination returned NULL) do the counts differ; the rows are then paired
-- by key (see trigger_update_unpaired); that can only happen in a partitioned table, so
-- only its body counts the rows. The table is recorded under the name it has now (a
-- partition under its root's), never a name baked at attach time: TG_TABLE_SCHEMA and
-- TG_TABLE_NAME, which cost nothing, and a catalog lookup only when the trigger fired on a
-- partition. Every column reference is qualified, and the two PL/pgSQL variables are used
-- only where no row of the table is in scope, so no column name of the table can capture a
-- name of the generated SQL. The context is read once per statement (a MATERIALIZED CTE;
-- inlined, it would be evaluated per row). Rows go to the data log as stored
-- (pg_audit_log_data, an UPDATE's new row as its new values), not through the view
-- pg_audit_log.
-- @ident schema the audit schema
-- @fragment inserted_data masked row, over r.j
-- @fragment inserted_record_id record id, over r.j
-- @fragment counts_equal true, or (for a partitioned table) whether the transition tables hold as many rows
-- @fragment update_paired rendered trigger_update_paired
-- @fragment update_unpaired rendered trigger_update_unpaired
DECLARE
    pg_audit_schema_name text := TG_TABLE_SCHEMA;
    pg_audit_table_name text := TG_TABLE_NAME;
BEGIN
    IF pg_catalog.pg_partition_root(TG_RELID) OPERATOR(pg_catalog.<>) TG_RELID THEN
        SELECT (SELECT n.nspname::text FROM pg_catalog.pg_namespace AS n
                WHERE n.oid OPERATOR(pg_catalog.=) r.relnamespace),
               r.relname::text
        INTO pg_audit_schema_name, pg_audit_table_name
        FROM pg_catalog.pg_class AS r
        WHERE r.oid OPERATOR(pg_catalog.=) pg_catalog.pg_partition_root(TG_RELID);
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation, new_values, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
        SELECT pg_audit_schema_name, pg_audit_table_name, 'INSERT', {{inserted_data}}, {{inserted_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM (SELECT pg_catalog.to_jsonb(t.*) AS j FROM pg_audit_new AS t OFFSET 0) AS r
        CROSS JOIN c;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation, old_data, record_id,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
        SELECT pg_audit_schema_name, pg_audit_table_name, 'DELETE', {{inserted_data}}, {{inserted_record_id}},
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
        FROM (SELECT pg_catalog.to_jsonb(t.*) AS j FROM pg_audit_old AS t OFFSET 0) AS r
        CROSS JOIN c;
    ELSIF TG_OP = 'UPDATE' THEN
        IF {{counts_equal}} THEN
{{update_paired}}
        ELSE
{{update_unpaired}}
        END IF;
    ELSE
        INSERT INTO {{schema}}.pg_audit_log_data (
            schema_name, table_name, operation,
            ip_address, updated_by, is_db_user, db_user, application_name,
            api_name, http_method, request_id, transaction_id, context
        )
        SELECT pg_audit_schema_name, pg_audit_table_name, 'TRUNCATE',
               c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
               c.api_name, c.http_method, c.request_id, c.transaction_id,
               {{schema}}.pg_audit_truncate_context(c.context, TG_TABLE_SCHEMA, TG_TABLE_NAME, pg_audit_schema_name, pg_audit_table_name)
        FROM {{schema}}.pg_audit_context() AS c;
    END IF;
    RETURN NULL;
END
