-- The audit rows of one UPDATE statement, from OLD/NEW pairs of the transition tables.
-- Rows whose key moved in this statement are left out (the key-change trigger recorded
-- them). Used inside the keyed trigger body, where `moved` says whether any key moved.
-- @ident schema the audit schema
-- @literal table_schema schema recorded for the table
-- @literal table_name name recorded for the table
-- @fragment pairs a subquery yielding oj and nj, the old and new row as jsonb
-- @fragment changed changed columns, over p.oj and p.nj
-- @fragment old_key key, over p.oj
-- @fragment old_data masked old row, over x.oj
-- @fragment new_data masked new row, over x.nj
-- @fragment record_id record id, over x.nj
-- @fragment keep_noop true to record UPDATEs that change nothing
            INSERT INTO {{schema}}.pg_audit_log (
                schema_name, table_name, operation, old_data, new_data, changed_fields, record_id,
                ip_address, updated_by, is_db_user, db_user, application_name,
                api_name, http_method, request_id, transaction_id, context
            )
            -- The context once per statement (inlined, it would be evaluated per row).
            WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
            SELECT {{table_schema}}, {{table_name}}, 'UPDATE', {{old_data}}, {{new_data}}, to_jsonb(x.changed), {{record_id}},
                   c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
                   c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
            FROM (
                SELECT p.oj, p.nj, {{changed}} AS changed
                FROM ({{pairs}}) AS p
                WHERE NOT moved OR NOT EXISTS (
                    SELECT 1
                    FROM {{schema}}.pg_audit_moved_keys AS m
                    WHERE m.transaction_id = txid_current()
                      AND m.trigger_depth = pg_trigger_depth()
                      AND m.schema_name = {{table_schema}}
                      AND m.table_name = {{table_name}}
                      AND (m.old_key = {{old_key}} OR m.new_key = {{old_key}})
                )
                OFFSET 0
            ) AS x
            CROSS JOIN c
            WHERE x.changed <> '{}' OR {{keep_noop}};
