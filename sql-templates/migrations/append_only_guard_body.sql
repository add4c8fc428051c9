-- Body of pg_audit_reject_change: rejects UPDATE, DELETE and TRUNCATE on the audit tables
-- unless a retention run of pg_audit_purge holds a valid token.
-- @ident schema the audit schema
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1
        FROM {{schema}}.pg_audit_retention_tokens AS t
        WHERE t.token::text = current_setting('pg_audit.retention_token', true)
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'pg-audit: % on %.% is not allowed: the audit trail is append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Remove old audit rows with pg_audit_purge(older_than).';
END
