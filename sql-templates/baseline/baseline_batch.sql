-- One batch of a baseline: the next rows of a table in key order after the last key
-- recorded ($4, a jsonb object of the key columns; NULL for the first batch), at most $3 of
-- them, locked FOR SHARE so no write changes them until the batch commits (a write in
-- progress is waited for, at most the lock timeout, and then read as it committed), recorded
-- as SNAPSHOT rows under $1.$2 after every audit row of the writes they show. Runs as the
-- audit role, so a cast to json of a column's type runs with its rights. Returns the rows
-- recorded and the last key.
-- @ident schema the audit schema
-- @ident table_schema the table's schema
-- @ident table_name the table
-- @fragment key_t the key columns over t
-- @fragment key_s the key columns over s
-- @fragment key_k the key columns over k
-- @fragment data the masked row over r.j
-- @fragment record_id the record id over r.j
-- @fragment last_key the key as a jsonb object over r.j
WITH batch AS MATERIALIZED (
    SELECT pg_catalog.to_jsonb(s.*) AS j, pg_catalog.row_number() OVER (ORDER BY {{key_s}}) AS n
    FROM (
        SELECT t.*
        FROM {{table_schema}}.{{table_name}} AS t
        WHERE $4::jsonb IS NULL
           OR ({{key_t}}) > (SELECT {{key_k}} FROM pg_catalog.jsonb_populate_record(NULL::{{table_schema}}.{{table_name}}, $4::jsonb) AS k)
        ORDER BY {{key_t}}
        LIMIT $3
        FOR SHARE
    ) AS s
)
SELECT COALESCE((
           SELECT {{schema}}.pg_audit_record('SNAPSHOT', $1, $2,
               pg_catalog.array_agg({{record_id}} ORDER BY r.n), pg_catalog.array_agg({{data}} ORDER BY r.n))
           FROM batch AS r
           HAVING pg_catalog.count(*) > 0), 0) AS recorded,
       (SELECT {{last_key}} FROM batch AS r ORDER BY r.n DESC LIMIT 1) AS last_key
