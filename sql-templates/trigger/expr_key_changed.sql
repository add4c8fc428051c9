-- Part of a key-change trigger's WHEN: whether one key column changed.
-- @ident column a primary-key column
OLD.{{column}} IS DISTINCT FROM NEW.{{column}}
