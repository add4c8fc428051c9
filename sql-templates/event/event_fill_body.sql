-- Body of pg_audit_fill(template, names, vals): a template body with each {{name}} replaced
-- by the value at the same position, already quoted by its kind, in one pass over the
-- template, so a value holding "{{" is never filled again. An unknown name raises.
DECLARE
    out text := '';
    rest text := template;
    open_at integer;
    close_at integer;
    slot integer;
BEGIN
    LOOP
        open_at := pg_catalog.strpos(rest, '{' OPERATOR(pg_catalog.||) '{');
        EXIT WHEN open_at OPERATOR(pg_catalog.=) 0;
        out := out OPERATOR(pg_catalog.||) pg_catalog.left(rest, open_at OPERATOR(pg_catalog.-) 1);
        rest := pg_catalog.substr(rest, open_at OPERATOR(pg_catalog.+) 2);
        close_at := pg_catalog.strpos(rest, '}' OPERATOR(pg_catalog.||) '}');
        slot := pg_catalog.array_position(names, pg_catalog.left(rest, close_at OPERATOR(pg_catalog.-) 1));
        IF close_at OPERATOR(pg_catalog.=) 0 OR slot IS NULL OR vals[slot] IS NULL THEN
            RAISE EXCEPTION 'pg-audit: no value for a placeholder of a trigger template near "%"', pg_catalog.left(rest, 40);
        END IF;
        out := out OPERATOR(pg_catalog.||) vals[slot];
        rest := pg_catalog.substr(rest, close_at OPERATOR(pg_catalog.+) 2);
    END LOOP;
    RETURN out OPERATOR(pg_catalog.||) rest;
END
