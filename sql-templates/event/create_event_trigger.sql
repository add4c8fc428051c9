-- One event trigger of the DDL trail or the automatic attach. ENABLE ALWAYS, like the audit
-- triggers: session_replication_role = replica must not switch it off. Event triggers of
-- one event fire in name order: the trail's (pg_audit_ddl_…, pg_audit_drop_…) before the
-- automatic attach's (pg_audit_sync_…), so the trail records what the command did.
-- @ident name the event trigger
-- @fragment event ddl_command_end or sql_drop
-- @ident schema the audit schema
-- @ident function_name its function
CREATE EVENT TRIGGER {{name}} ON {{event}} EXECUTE FUNCTION {{schema}}.{{function_name}}();
ALTER EVENT TRIGGER {{name}} ENABLE ALWAYS;
