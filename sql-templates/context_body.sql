-- Body of pg_audit_context(): the pg_audit.* settings of the current transaction, each
-- checked before it is cast. With no application context the write is a direct database
-- write: is_db_user is true and, when tracking is on, the client address is recorded.
-- The connected role and application_name are recorded always.
-- @ident schema the audit schema
-- @literal track_db_users 'true' or 'false': record the client address of direct writes
DECLARE
    ipv4 constant text := '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
    h constant text := '[0-9a-f]{1,4}';
    raw_ip text := NULLIF(current_setting('pg_audit.ip', true), '');
    raw_request_id text := NULLIF(current_setting('pg_audit.request_id', true), '');
    raw_context text := NULLIF(current_setting('pg_audit.context', true), '');
BEGIN
    user_id := NULLIF(current_setting('pg_audit.user_id', true), '');
    api_name := NULLIF(current_setting('pg_audit.api_name', true), '');
    http_method := upper(left(NULLIF(current_setting('pg_audit.http_method', true), ''), 32));
    IF raw_request_id ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
        request_id := raw_request_id::uuid;
    END IF;
    IF raw_ip IS NOT NULL AND (raw_ip ~ ('^' || ipv4 || '$')
       OR raw_ip ~* ('^((' || h || ':){7}' || h || '|(' || h || ':){1,7}:|(' || h || ':){1,6}:' || h
           || '|(' || h || ':){1,5}(:' || h || '){1,2}|(' || h || ':){1,4}(:' || h || '){1,3}'
           || '|(' || h || ':){1,3}(:' || h || '){1,4}|(' || h || ':){1,2}(:' || h || '){1,5}'
           || '|' || h || ':(:' || h || '){1,6}|:((:' || h || '){1,7}|:)'
           || '|::(ffff(:0{1,4})?:)?' || ipv4 || '|(' || h || ':){1,4}:' || ipv4 || ')$')) THEN
        ip_address := raw_ip::inet;
    END IF;
    IF raw_context IS NOT NULL THEN
        IF {{schema}}.pg_audit_is_json(raw_context) THEN
            context := raw_context::jsonb;
        ELSE
            context := to_jsonb(raw_context);
        END IF;
    END IF;
    is_db_user := user_id IS NULL AND api_name IS NULL AND http_method IS NULL AND request_id IS NULL;
    IF is_db_user AND ip_address IS NULL AND {{track_db_users}}::boolean THEN
        ip_address := inet_client_addr();
    END IF;
    db_user := session_user;
    application_name := NULLIF(current_setting('application_name', true), '');
    transaction_id := txid_current();
END
