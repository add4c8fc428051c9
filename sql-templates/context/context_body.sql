-- Body of pg_audit_context(): the pg_audit.* settings of the current transaction, each
-- checked before it is cast. A single SELECT in a SQL function without SET options, so the
-- planner inlines it into the trigger's statement: no function call per statement. Each
-- setting is read once (the subqueries end in OFFSET 0, so the planner does not fold them
-- into the outer expressions, which would read a setting again for every use of it: the
-- reads were most of this function's cost). With no
-- application context the write is a direct database write: is_db_user is true and, when
-- tracking is on, the client address is recorded. The connected role (session_user, not the
-- definer) and application_name are recorded always. Every value set_config accepted is
-- stored, cut with a marker, or nulled, never allowed to abort the write: the user id is cut
-- to 256 characters (it is indexed), the API name to 1024, the method to 32; a context that
-- is not JSON jsonb accepts in this database's encoding, or is over 64 KiB, is kept as a
-- string of at most 4096 characters ending in "...[cut]" when cut (ASCII, so it converts to any server encoding).
-- @ident schema the audit schema
-- @literal track_db_users 'true' or 'false': record the client address of direct writes
SELECT CASE WHEN length(s.user_id) > 256 THEN left(s.user_id, 248) || '...[cut]' ELSE s.user_id END,
       CASE
           WHEN s.ip ~ ('^' || v.ipv4 || '$')
             OR s.ip ~* ('^((' || v.h || ':){7}' || v.h || '|(' || v.h || ':){1,7}:|(' || v.h || ':){1,6}:' || v.h
                 || '|(' || v.h || ':){1,5}(:' || v.h || '){1,2}|(' || v.h || ':){1,4}(:' || v.h || '){1,3}'
                 || '|(' || v.h || ':){1,3}(:' || v.h || '){1,4}|(' || v.h || ':){1,2}(:' || v.h || '){1,5}'
                 || '|' || v.h || ':(:' || v.h || '){1,6}|:((:' || v.h || '){1,7}|:)'
                 || '|::(ffff(:0{1,4})?:)?' || v.ipv4 || '|(' || v.h || ':){1,4}:' || v.ipv4 || ')$')
           THEN s.ip::inet
           WHEN s.is_db_user AND {{track_db_users}}::boolean
           THEN inet_client_addr()
       END,
       CASE WHEN length(s.api_name) > 1024 THEN left(s.api_name, 1016) || '...[cut]' ELSE s.api_name END,
       upper(left(s.http_method, 32)),
       s.request_id::uuid,
       CASE
           WHEN s.context IS NULL THEN NULL
           WHEN {{schema}}.pg_audit_is_json(s.context) THEN s.context::jsonb
           WHEN length(s.context) > 4096 THEN to_jsonb(left(s.context, 4088) || '...[cut]')
           ELSE to_jsonb(s.context)
       END,
       s.is_db_user,
       session_user::text,
       s.application_name,
       txid_current()
FROM (
    -- No user, API, method or valid request id: a direct database write.
    SELECT r.*, r.user_id IS NULL AND r.api_name IS NULL AND r.http_method IS NULL AND r.request_id IS NULL AS is_db_user
    FROM (
        SELECT NULLIF(current_setting('pg_audit.user_id', true), '') AS user_id,
               NULLIF(current_setting('pg_audit.ip', true), '') AS ip,
               NULLIF(current_setting('pg_audit.api_name', true), '') AS api_name,
               NULLIF(current_setting('pg_audit.http_method', true), '') AS http_method,
               CASE
                   WHEN q.request_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
                   THEN q.request_id
               END AS request_id,
               NULLIF(current_setting('pg_audit.context', true), '') AS context,
               NULLIF(current_setting('application_name', true), '') AS application_name
        FROM (SELECT current_setting('pg_audit.request_id', true) AS request_id OFFSET 0) AS q
        OFFSET 0
    ) AS r
) AS s
CROSS JOIN (
    SELECT '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])' AS ipv4,
           '[0-9a-f]{1,4}' AS h
) AS v
