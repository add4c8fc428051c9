-- Drops the oldest partition of both logs whose rows are all older than $1 (retention);
-- returns what it did as jsonb (pg_audit_drop_partitions).
-- @ident schema the audit schema
SELECT {{schema}}.pg_audit_drop_partitions($1::timestamptz, 1)
