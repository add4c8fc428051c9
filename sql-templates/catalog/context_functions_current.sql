-- Whether the context function of the audit schema ($1) is the one this version renders
-- ($3: its body) and the audit role ($2) may execute it: false when the function is
-- missing, was rendered by an earlier version (a leaner body reaches an existing schema this
-- way), or was created before the audit role existed (a schema migrated before migration 4),
-- so attach re-creates the context functions with the grant. The role is checked first:
-- has_function_privilege raises for a role that does not exist.
SELECT COALESCE((
    SELECT p.prosrc OPERATOR(pg_catalog.=) $3
           AND pg_catalog.has_function_privilege($2, p.oid, 'EXECUTE')
    FROM pg_catalog.pg_proc AS p
    WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.pg_audit_context()')
      AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $2)
), false)
