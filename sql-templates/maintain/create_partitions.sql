-- Makes the partitions of both logs from this month to $1 months ahead, and those the
-- default partition's rows need; returns the names of those it made.
-- @ident schema the audit schema
SELECT {{schema}}.pg_audit_create_partitions($1::integer)
