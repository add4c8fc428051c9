-- Drops the audit schema pg-audit created. RESTRICT: anything else stored in it keeps it.
-- @ident schema the audit schema
DROP SCHEMA IF EXISTS {{schema}} RESTRICT
