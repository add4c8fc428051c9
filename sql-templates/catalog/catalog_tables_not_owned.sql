-- Of the tables given ($1 schemas, $2 names, in pairs), those the connected role neither
-- owns nor inherits the owner's rights of, with their owner: creating an audit trigger
-- ENABLE ALWAYS and dropping one are the owner's to do.
SELECT n.nspname::text AS table_schema, c.relname::text AS table_name,
       pg_catalog.pg_get_userbyid(c.relowner)::text AS owner, CURRENT_USER::text AS me
-- (A multi-argument UNNEST is syntax that always calls pg_catalog.unnest.)
FROM unnest($1::text[], $2::text[]) AS t (table_schema, table_name)
JOIN pg_catalog.pg_namespace AS n ON n.nspname OPERATOR(pg_catalog.=) t.table_schema
JOIN pg_catalog.pg_class AS c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
                             AND c.relname OPERATOR(pg_catalog.=) t.table_name
WHERE NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')
ORDER BY 1, 2
