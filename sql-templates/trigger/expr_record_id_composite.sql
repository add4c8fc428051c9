-- record_id of a composite key: a compact JSON array, e.g. [7,2].
-- @fragment parts each key column's value as JSON text
('[' || concat_ws(',', {{parts}}) || ']')
