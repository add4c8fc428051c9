-- The audit rows of one UPDATE statement whose transition tables hold fewer new rows than
-- old ones: a row moved to another partition was dropped there by a BEFORE INSERT trigger
-- returning NULL, so positions no longer pair. Old and new rows are then paired by key
-- (a table without one pairs none); an old row left without a new one is recorded as the
-- DELETE it became, a new row without an old one as an INSERT. Used inside the trigger body.
-- @ident schema the audit schema
-- @fragment old_key key, over o.j
-- @fragment new_key key, over n.j
-- @fragment row_text NULL::json, or the row as json when the table has json columns (over t)
-- @fragment changed changed columns, over p.oj and p.nj (and p.ot, p.nt)
-- @fragment old_data masked old row, over x.oj
-- @fragment new_data masked new row, over x.nj
-- @fragment new_values the masked new row's values that differ from the old row's, over x.oj and x.nj
-- @fragment old_record_id record id, over x.oj
-- @fragment new_record_id record id, over x.nj
-- @fragment keep_noop true to record UPDATEs that change nothing
            INSERT INTO {{schema}}.pg_audit_log_data (
                schema_name, table_name, operation, old_data, new_values, changed_fields, record_id,
                ip_address, updated_by, is_db_user, db_user, application_name,
                api_name, http_method, request_id, transaction_id, context
            )
            WITH c AS MATERIALIZED (SELECT * FROM {{schema}}.pg_audit_context())
            SELECT pg_audit_schema_name, pg_audit_table_name,
                   CASE WHEN x.oj IS NULL THEN 'INSERT' WHEN x.nj IS NULL THEN 'DELETE' ELSE 'UPDATE' END,
                   CASE WHEN x.oj IS NOT NULL THEN {{old_data}} END,
                   CASE WHEN x.oj IS NULL THEN {{new_data}} WHEN x.nj IS NOT NULL THEN {{new_values}} END,
                   pg_catalog.to_jsonb(x.changed),
                   CASE WHEN x.nj IS NOT NULL THEN {{new_record_id}} ELSE {{old_record_id}} END,
                   c.ip_address, c.user_id, c.is_db_user, c.db_user, c.application_name,
                   c.api_name, c.http_method, c.request_id, c.transaction_id, c.context
            FROM (
                SELECT p.oj, p.nj,
                       CASE WHEN p.oj IS NOT NULL AND p.nj IS NOT NULL THEN {{changed}} END AS changed
                FROM (
                    SELECT o.j AS oj, n.j AS nj, o.r AS ot, n.r AS nt
                    FROM (SELECT pg_catalog.to_jsonb(t.*) AS j, {{row_text}} AS r FROM pg_audit_old AS t OFFSET 0) AS o
                    FULL JOIN (SELECT pg_catalog.to_jsonb(t.*) AS j, {{row_text}} AS r FROM pg_audit_new AS t OFFSET 0) AS n
                        ON {{old_key}} OPERATOR(pg_catalog.=) {{new_key}}
                ) AS p
                OFFSET 0
            ) AS x
            CROSS JOIN c
            WHERE x.changed IS NULL OR x.changed OPERATOR(pg_catalog.<>) '{}'::text[] OR {{keep_noop}};
