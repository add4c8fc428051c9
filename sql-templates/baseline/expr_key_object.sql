-- A row's key as a jsonb object, from which jsonb_populate_record rebuilds typed values.
-- @fragment pairs the key columns' names and values
pg_catalog.jsonb_build_object({{pairs}})
