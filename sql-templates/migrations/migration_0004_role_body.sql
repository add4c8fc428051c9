-- The body of migration 4: creates the audit role unless it exists, refuses a role of that
-- name that has rights of its own, and makes the migrating role a member, which it must be
-- to hand the role the functions (a superuser needs no membership).
-- @literal role_name the audit role, as a string
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) {{role_name}}) THEN
        BEGIN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN NOINHERIT', {{role_name}});
        -- Created meanwhile by a migrate run in another database: the catalog's unique index
        -- reports a concurrent creation as unique_violation, a committed one as
        -- duplicate_object.
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'pg-audit: the audit role % does not exist and % may not create it', {{role_name}}, current_user
                USING HINT = pg_catalog.format('Grant %I CREATEROLE, or have an administrator run: CREATE ROLE %I NOLOGIN NOINHERIT; GRANT %I TO %I;',
                    current_user, {{role_name}}, {{role_name}}, current_user);
        END;
    END IF;
    IF EXISTS (
        SELECT 1 FROM pg_catalog.pg_roles
        WHERE rolname OPERATOR(pg_catalog.=) {{role_name}}
          AND (rolcanlogin OR rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls)
    ) THEN
        RAISE EXCEPTION 'pg-audit: role % exists and can log in or holds attributes of its own; the audit role must be a plain NOLOGIN role', {{role_name}}
            USING HINT = 'Use another audit schema name, or drop or alter that role.';
    END IF;
    IF NOT pg_catalog.pg_has_role(current_user, {{role_name}}, 'MEMBER') THEN
        EXECUTE pg_catalog.format('GRANT %I TO %I', {{role_name}}, current_user);
    END IF;
END
