-- Drops one event trigger of the DDL trail or the automatic attach (superuser only, like
-- creating it; IF EXISTS asks no privilege when there is none).
-- @ident name the event trigger
DROP EVENT TRIGGER IF EXISTS {{name}};
