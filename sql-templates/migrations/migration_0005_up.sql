-- Migration 5: a B-tree index on the time and id of every data audit row, for reading a
-- time window by its index alone: the viewer finds the newest id of a window long ago
-- without reading the rows written since (an index-only scan of the window), and its
-- charts read the newest rows of a window in time order, stopping after their budget,
-- instead of reading and sorting the whole window as the BRIN index requires. Rows arrive
-- in time order, so every insertion lands at the right edge of the tree. IF NOT EXISTS: on
-- a large log the index can be built beforehand, without blocking writes, by
-- CREATE INDEX CONCURRENTLY under this name, and this migration then finds it there.
-- @ident schema the audit schema
CREATE INDEX IF NOT EXISTS pg_audit_log_time_idx ON {{schema}}.pg_audit_log (updated_at, id);
