-- A record id as the log stores it: the key's text, or, when that is longer than an entry of
-- the log's record index can hold (the table's own key index takes up to 2704 bytes, and the
-- record index adds the table's name and a composite key's JSON quoting), `sha256:` and the
-- hex digest of its bytes. Without the cap such a key would make the user's write fail; the
-- query API, the command and the viewer look a whole key up through the same expression.
-- @fragment id the record id as text
(CASE WHEN pg_catalog.octet_length({{id}}) OPERATOR(pg_catalog.<=) 2000 THEN {{id}}
      ELSE 'sha256:' OPERATOR(pg_catalog.||) pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to({{id}}, pg_catalog.getdatabaseencoding())), 'hex') END)
