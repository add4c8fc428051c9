-- The context functions as release 0.1 embedded them in migration 1, frozen: only to
-- recognize the checksum such a schema recorded for migration 1 (see legacy_checksums in
-- schema/migrate.rs). Never run.
-- @ident schema the audit schema
-- @literal track_db_users 'true' or 'false', as the setting was then
CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_is_json(value text) RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $pg_audit$DECLARE
    string_token constant text := '"([^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"';
    scalar constant text := '("([^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"|-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]{1,4})?|true|false|null)';
    reduced text;
    previous text;
    rounds integer := 0;
BEGIN
    IF value IS NULL OR length(value) > 65536 OR value ~* '\\u(0000|d[89a-f])' THEN
        RETURN false;
    END IF;
    -- Fast path: a flat object without whitespace, as pg-audit's own Rust side writes it.
    IF value ~ ('^[{](' || string_token || ':' || scalar || '(,' || string_token || ':' || scalar || ')*)?[}]$') THEN
        RETURN true;
    END IF;
    IF regexp_replace(value, string_token, '', 'g') ~ '[^][{}:,0-9.eE+trufalsn \t\n\r-]' THEN
        RETURN false;
    END IF;
    reduced := regexp_replace(value, string_token, 'S', 'g');
    reduced := regexp_replace(reduced, '-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,4})?', 'V', 'g');
    reduced := regexp_replace(reduced, 'true|false|null', 'V', 'g');
    reduced := regexp_replace(reduced, '[ \t\n\r]+', '', 'g');
    LOOP
        previous := reduced;
        reduced := regexp_replace(reduced, '\[([SV](,[SV])*)?\]', 'V', 'g');
        reduced := regexp_replace(reduced, '\{(S:[SV](,S:[SV])*)?\}', 'V', 'g');
        rounds := rounds + 1;
        EXIT WHEN reduced = previous OR rounds > 64;
    END LOOP;
    RETURN reduced IN ('S', 'V');
END$pg_audit$;

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
AS $pg_audit$SELECT s.user_id,
       CASE
           WHEN s.ip ~ ('^' || v.ipv4 || '$')
             OR s.ip ~* ('^((' || v.h || ':){7}' || v.h || '|(' || v.h || ':){1,7}:|(' || v.h || ':){1,6}:' || v.h
                 || '|(' || v.h || ':){1,5}(:' || v.h || '){1,2}|(' || v.h || ':){1,4}(:' || v.h || '){1,3}'
                 || '|(' || v.h || ':){1,3}(:' || v.h || '){1,4}|(' || v.h || ':){1,2}(:' || v.h || '){1,5}'
                 || '|' || v.h || ':(:' || v.h || '){1,6}|:((:' || v.h || '){1,7}|:)'
                 || '|::(ffff(:0{1,4})?:)?' || v.ipv4 || '|(' || v.h || ':){1,4}:' || v.ipv4 || ')$')
           THEN s.ip::inet
           WHEN s.user_id IS NULL AND s.api_name IS NULL AND s.http_method IS NULL AND s.request_id IS NULL
                AND {{track_db_users}}::boolean
           THEN inet_client_addr()
       END,
       s.api_name,
       s.http_method,
       s.request_id::uuid,
       CASE
           WHEN s.context IS NULL THEN NULL
           WHEN {{schema}}.pg_audit_is_json(s.context) THEN s.context::jsonb
           ELSE to_jsonb(s.context)
       END,
       s.user_id IS NULL AND s.api_name IS NULL AND s.http_method IS NULL AND s.request_id IS NULL,
       session_user::text,
       NULLIF(current_setting('application_name', true), ''),
       txid_current()
FROM (
    SELECT NULLIF(current_setting('pg_audit.user_id', true), '') AS user_id,
           NULLIF(current_setting('pg_audit.ip', true), '') AS ip,
           NULLIF(current_setting('pg_audit.api_name', true), '') AS api_name,
           upper(left(NULLIF(current_setting('pg_audit.http_method', true), ''), 32)) AS http_method,
           CASE
               WHEN current_setting('pg_audit.request_id', true) ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
               THEN current_setting('pg_audit.request_id', true)
           END AS request_id,
           NULLIF(current_setting('pg_audit.context', true), '') AS context
) AS s
CROSS JOIN (
    SELECT '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' AS ipv4,
           '[0-9a-f]{1,4}' AS h
) AS v$pg_audit$;

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
