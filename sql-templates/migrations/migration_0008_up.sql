-- Migration 8: leaner trigger bodies. The context is read once per statement with each
-- setting read once, the table is recorded from TG_TABLE_SCHEMA and TG_TABLE_NAME (the
-- catalog is read only when a trigger fires on a partition), and only a partitioned table's
-- UPDATE counts its rows before pairing them; nested loops are off in the trigger functions,
-- so a bulk UPDATE after one-row ones on the same connection is paired by a hash or merge
-- join, never quadratically. No table changes: the same migrate run
-- re-renders every attached trigger function and the context functions, in this
-- transaction. The comments say which of the log's relations is the contract's read shape.
-- @ident schema the audit schema
COMMENT ON VIEW {{schema}}.pg_audit_log IS
    'pg-audit: the audit log as readers see it (one row per change, new_data the whole new row); written by the audit triggers through pg_audit_log_data';
COMMENT ON TABLE {{schema}}.pg_audit_log_data IS
    'pg-audit: the audit log as stored, partitioned by month (an UPDATE keeps its old row and only its changed new values); read it through the view pg_audit_log';
COMMENT ON TABLE {{schema}}.pg_api_audit_log IS
    'pg-audit: one row per logged API request, partitioned by month';
