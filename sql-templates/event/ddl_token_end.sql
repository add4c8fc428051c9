-- Ends a pg-audit run begun with ddl_token_begin.
-- @ident schema the audit schema
WITH gone AS (
    DELETE FROM {{schema}}.pg_audit_ddl_tokens AS t
    WHERE t.token::text = pg_catalog.current_setting('pg_audit.ddl_token', true)
)
SELECT pg_catalog.set_config('pg_audit.ddl_token', '', true)
