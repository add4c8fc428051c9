-- The functions the audit triggers use to read the request context. Re-created by attach
-- because the settings they bake in (track_db_users) may change.
-- @ident schema the audit schema
-- @ident role the audit role, which runs the trigger functions that call these
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

-- The context of the current transaction, read from the pg_audit.* settings. Inlined into
-- the trigger's statements (SQL, STABLE, no SET clause), which run with the trigger
-- function's pinned search_path; every value is validated before any cast.
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_context()
RETURNS TABLE (
    user_id text,
    ip_address inet,
    api_name text,
    http_method text,
    request_id uuid,
    context jsonb,
    is_db_user boolean,
    db_user text,
    application_name text,
    transaction_id bigint
)
LANGUAGE sql
STABLE
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
GRANT EXECUTE ON FUNCTION {{schema}}.pg_audit_is_json(text), {{schema}}.pg_audit_context(),
    {{schema}}.pg_audit_truncate_context(jsonb, name, name, text, text) TO {{role}};
