-- The audit rows of one UPDATE statement whose transition tables hold as many old rows as
-- new ones: the n-th old row is the n-th new row's (see trigger_body). Used inside the
-- trigger body.
-- @ident schema the audit schema
-- @fragment row_text NULL::json, or the row as json when the table has json columns (over t)
-- @fragment changed changed columns, over p.oj and p.nj (and p.ot, p.nt)
-- @fragment old_data masked old row, over x.oj
-- @fragment new_values the masked new row's values that differ from the old row's, over x.oj and x.nj
-- @fragment record_id record id, over x.nj
-- @fragment keep_noop true to record UPDATEs that change nothing
            INSERT INTO {{schema}}.pg_audit_log_data (
                schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
                ip_address, updated_by, is_db_user, db_user, application_name,
                api_name, http_method, request_id, transaction_id, context
            )
            WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
            SELECT pg_audit_schema_name, pg_audit_table_name, 'UPDATE', {{old_data}}, {{new_values}}, pg_catalog.to_jsonb(x.changed), {{record_id}},
                   c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
                   c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
            FROM (
                SELECT p.oj, p.nj, {{changed}} AS changed
                FROM (
                    SELECT o.j AS oj, n.j AS nj, o.r AS ot, n.r AS nt
                    FROM (SELECT pg_catalog.row_number() OVER () AS i, pg_catalog.to_jsonb(t.*) AS j, {{row_text}} AS r FROM pg_audit_old AS t) AS o
                    JOIN (SELECT pg_catalog.row_number() OVER () AS i, pg_catalog.to_jsonb(t.*) AS j, {{row_text}} AS r FROM pg_audit_new AS t) AS n
                        ON n.i OPERATOR(pg_catalog.=) o.i
                ) AS p
                OFFSET 0
            ) AS x
            CROSS JOIN c
            WHERE x.changed OPERATOR(pg_catalog.<>) '{}'::text[] OR {{keep_noop}};
