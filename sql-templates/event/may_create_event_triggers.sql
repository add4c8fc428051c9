-- Whether the connected role may create event triggers (only superusers may), and the audit
-- schema's ($1) owner, who owns the trail's functions.
SELECT r.rolsuper AS superuser,
       (SELECT pg_catalog.pg_get_userbyid(n.nspowner)::text FROM pg_catalog.pg_namespace AS n WHERE n.nspname = $1) AS schema_owner
FROM pg_catalog.pg_roles AS r
WHERE r.rolname = current_user
