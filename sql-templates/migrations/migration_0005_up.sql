-- Migration 5: B-tree indexes on the time and id of every row of both logs, for reading a
-- time window by its index alone: the viewer finds the lowest and highest id of a window
-- long ago without reading the rows written since (an index-only scan of the window), and
-- its charts read the newest rows of a window in time order, stopping after their budget,
-- instead of reading and sorting the whole window (as the data log's BRIN index requires).
-- Rows arrive in time order, so every insertion lands at the right edge of the tree. The
-- API log's (created_at, id) index serves whatever its (created_at) index served, which
-- goes. IF NOT EXISTS: on a large log the indexes can be built beforehand, without
-- blocking writes, by CREATE INDEX CONCURRENTLY under these names, and this migration then
-- finds them there.
-- @ident schema the audit schema
CREATE INDEX IF NOT EXISTS pg_audit_log_time_idx ON {{schema}}.pg_audit_log (updated_at, id);
CREATE INDEX IF NOT EXISTS pg_api_audit_log_time_idx ON {{schema}}.pg_api_audit_log (created_at, id);
DROP INDEX IF EXISTS {{schema}}.pg_api_audit_log_created_at_idx;
