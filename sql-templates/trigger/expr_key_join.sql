-- Part of the pairing join: one key column equal in OLD and NEW.
-- @ident column a primary-key column
o.{{column}} = n.{{column}}
