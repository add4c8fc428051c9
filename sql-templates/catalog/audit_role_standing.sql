-- Where the connected role stands with the audit role ($1), which must own every trigger
-- function: handing a function to a role takes membership in it (or superuser), and a role
-- with CREATEROLE, or the admin option on the role, can grant itself that membership.
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) $1) AS role_exists,
       me.rolsuper OR me.rolcreaterole AS manages_roles,
       EXISTS (
           SELECT 1 FROM pg_catalog.pg_roles AS r
           WHERE r.rolname OPERATOR(pg_catalog.=) $1
             AND (pg_catalog.pg_has_role(me.oid, r.oid, 'MEMBER')
                  OR pg_catalog.pg_has_role(me.oid, r.oid, 'MEMBER WITH ADMIN OPTION'))
       ) AS may_hand_over,
       me.rolname::text AS me
FROM pg_catalog.pg_roles AS me
WHERE me.rolname OPERATOR(pg_catalog.=) CURRENT_USER
