-- Whether the audit role ($2) may execute the context function of the audit schema ($1):
-- false when the function is missing, or was created before the audit role existed (a schema
-- migrated before migration 4), so attach re-creates the context functions with the grant.
SELECT CASE
    WHEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $2) THEN false
    ELSE COALESCE(pg_catalog.has_function_privilege(
        $2,
        pg_catalog.to_regprocedure(pg_catalog.quote_ident($1) OPERATOR(pg_catalog.||) '.pg_audit_context()'),
        'EXECUTE'), false)
END
