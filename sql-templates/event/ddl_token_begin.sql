-- Marks the transaction as a pg-audit run (attach, migrate) until ddl_token_end: the DDL
-- trail leaves its statements to the run, which records itself.
-- @ident schema the audit schema
WITH t AS (
    INSERT INTO {{schema}}.pg_audit_ddl_tokens (token) VALUES (pg_catalog.gen_random_uuid()) RETURNING token
)
SELECT pg_catalog.set_config('pg_audit.ddl_token', t.token::text, true) FROM t
