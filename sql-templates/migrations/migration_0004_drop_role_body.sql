-- Drops the audit role, keeping it when objects elsewhere still depend on it.
-- @literal role_name the audit role, as a string
BEGIN
    EXECUTE pg_catalog.format('DROP ROLE IF EXISTS %I', {{role_name}});
EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
    RAISE NOTICE 'pg-audit kept role %: %', {{role_name}}, SQLERRM;
END
