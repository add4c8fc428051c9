-- Migration 3: the triggers pair the rows of an UPDATE by position in its transition tables,
-- so the table where the key-change trigger noted moved keys goes. The same migrate run
-- refreshes every attached trigger, in this transaction, before any write can reach one
-- that still names the table.
-- @ident schema the audit schema
DROP TABLE IF EXISTS {{schema}}.pg_audit_moved_keys;
