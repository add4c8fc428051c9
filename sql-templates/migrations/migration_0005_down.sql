-- Reverts migration 5: the data audit log without its B-tree time index (the BRIN index
-- of migration 1 still serves time ranges).
-- @ident schema the audit schema
DROP INDEX IF EXISTS {{schema}}.pg_audit_log_time_idx;
