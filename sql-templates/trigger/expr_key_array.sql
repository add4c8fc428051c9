-- A composite key as a jsonb array, for pairing rows.
-- @fragment parts the key columns' values
jsonb_build_array({{parts}})
