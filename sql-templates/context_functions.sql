-- The functions the audit triggers use to read the request context. Re-created by attach
-- because the settings they bake in (track_db_users) may change.
-- @ident schema the audit schema
-- @dollar json_check_body rendered context_json_check_body
-- @dollar context_body rendered context_body

-- Whether text is JSON that jsonb accepts, decided without raising (so without a
-- subtransaction): bad context must never abort the user's write.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_is_json(value text) RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS {{json_check_body}};

-- The context of the current transaction, read from the pg_audit.* settings once per
-- statement. Every value is validated before any cast, so no setting can make it raise.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_context(
    OUT user_id text,
    OUT ip_address inet,
    OUT api_name text,
    OUT http_method text,
    OUT request_id uuid,
    OUT context jsonb,
    OUT is_db_user boolean,
    OUT db_user text,
    OUT application_name text,
    OUT transaction_id bigint
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS {{context_body}};

REVOKE ALL ON FUNCTION {{schema}}.pg_audit_is_json(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_context() FROM PUBLIC;

-- The context recorded for a TRUNCATE: when it fired on a partition of the audited table,
-- the partition's name is added, since the row names the audited (parent) table.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_truncate_context(
    context jsonb, fired_schema name, fired_table name, audited_schema text, audited_table text
) RETURNS jsonb
LANGUAGE sql
IMMUTABLE
AS $truncate_context$
    SELECT CASE
        WHEN fired_schema = audited_schema AND fired_table = audited_table THEN context
        ELSE COALESCE(context, '{}'::jsonb)
             || jsonb_build_object('partition', quote_ident(fired_schema) || '.' || quote_ident(fired_table))
    END
$truncate_context$;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_truncate_context(jsonb, name, name, text, text) FROM PUBLIC;
