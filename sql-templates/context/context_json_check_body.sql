-- Body of pg_audit_is_json(value): tokenizes strings, numbers and literals with regular
-- expressions, then folds innermost arrays and objects until one value is left. Escapes
-- jsonb refuses (\u0000, surrogates, and outside UTF8 databases any escape above \u007f),
-- numbers numeric cannot hold (at most 1000 digits before and after the point, an exponent
-- of at most 4 digits), inputs over 64 KiB and nesting deeper than 64 are "not JSON".
DECLARE
    string_token constant text := '"([^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"';
    scalar constant text := '("([^"\\\x01-\x1f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"|-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][+-]?[0-9]{1,4})?|true|false|null)';
    reduced text;
    previous text;
    rounds integer := 0;
BEGIN
    IF value IS NULL OR length(value) > 65536 OR value ~* '\\u(0000|d[89a-f])' THEN
        RETURN false;
    END IF;
    -- A run of more than 1000 digits (PostgreSQL's regular expressions count to 255 at most).
    IF value ~ '([0-9]{250}){4}[0-9]' THEN
        RETURN false;
    END IF;
    IF current_setting('server_encoding') <> 'UTF8'
       AND value ~* '\\u(00[89a-f][0-9a-f]|0[1-9a-f][0-9a-f]{2}|[1-9a-f][0-9a-f]{3})' THEN
        RETURN false;
    END IF;
    -- Fast path: a flat object without whitespace, as pg-audit's own Rust side writes it.
    IF value ~ ('^[{](' || string_token || ':' || scalar || '(,' || string_token || ':' || scalar || ')*)?[}]$') THEN
        RETURN true;
    END IF;
    IF regexp_replace(value, string_token, '', 'g') ~ '[^][{}:,0-9.eE+trufalsn \t\n\r-]' THEN
        RETURN false;
    END IF;
    reduced := regexp_replace(value, string_token, 'S', 'g');
    reduced := regexp_replace(reduced, '-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]{1,4})?', 'V', 'g');
    reduced := regexp_replace(reduced, 'true|false|null', 'V', 'g');
    reduced := regexp_replace(reduced, '[ \t\n\r]+', '', 'g');
    LOOP
        previous := reduced;
        reduced := regexp_replace(reduced, '\[([SV](,[SV])*)?\]', 'V', 'g');
        reduced := regexp_replace(reduced, '\{(S:[SV](,S:[SV])*)?\}', 'V', 'g');
        rounds := rounds + 1;
        EXIT WHEN reduced = previous OR rounds > 64;
    END LOOP;
    RETURN reduced IN ('S', 'V');
END
