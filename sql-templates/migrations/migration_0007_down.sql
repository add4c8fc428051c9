-- Reverts migration 7: both logs become plain tables again, their rows copied back with
-- their ids (new_data whole again, as the view reads it), with the indexes, guard and
-- privileges they had before it. On a large log this copies every row: export it first
-- if only part of it is wanted.
-- @ident schema the audit schema
-- @dollar revert_body rendered migration_0007_revert_body
-- @dollar record_body rendered migration_0006_record_body
DO {{revert_body}};
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_record(
    p_operation text, p_schema_name text, p_table_name text, p_record_ids text[], p_rows jsonb[]
) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS {{record_body}};
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_create_partitions(integer);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_drop_partitions(timestamptz, integer);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_add_partition(text, timestamptz, timestamptz, text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_default_months(text);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_partitions();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_month(timestamptz, integer);
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_log_insert();
DROP FUNCTION IF EXISTS {{schema}}.pg_audit_new_data(jsonb, jsonb);
