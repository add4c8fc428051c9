-- Pins the search_path of the transaction pg-audit runs its own statements in (migrate,
-- attach, status, the command), so no function, operator or table of the caller's
-- schemas can stand in for the catalog's: only pg_catalog, then the session's temporary
-- schema, which is never searched for functions or operators. Transaction-local, so a
-- connection of the application's pool is left as it was.
SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)
