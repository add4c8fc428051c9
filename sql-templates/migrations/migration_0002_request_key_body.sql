-- The body of migration 2. Rows written twice before it (the earlier writer resent a batch
-- after a timeout) stay as they are, since the log is append-only: the unique index then
-- covers only the rows written after the last of them, and the request_id index is kept for
-- the older rows.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
DECLARE
    last_duplicate bigint;
BEGIN
    SELECT max(id) INTO last_duplicate
    FROM (
        SELECT id, count(*) OVER (PARTITION BY request_id, created_at) AS copies
        FROM {{schema}}.pg_api_audit_log
        WHERE request_id IS NOT NULL
    ) AS rows
    WHERE copies > 1;
    IF last_duplicate IS NULL THEN
        CREATE UNIQUE INDEX pg_api_audit_log_request_key
            ON {{schema}}.pg_api_audit_log (request_id, created_at);
        DROP INDEX IF EXISTS {{schema}}.pg_api_audit_log_request_idx;
    ELSE
        EXECUTE pg_catalog.format(
            'CREATE UNIQUE INDEX pg_api_audit_log_request_key ON %I.pg_api_audit_log (request_id, created_at) WHERE id > %s',
            {{schema_name}}, last_duplicate);
        RAISE NOTICE 'pg-audit: % API-log rows up to id % were written twice before this migration; they are kept, and rows after them are unique',
            (SELECT count(*) FROM (
                SELECT 1 FROM {{schema}}.pg_api_audit_log
                GROUP BY request_id, created_at HAVING count(*) > 1) AS twice),
            last_duplicate;
    END IF;
END
