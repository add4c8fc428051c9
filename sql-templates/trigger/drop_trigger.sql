-- Drops one audit trigger (on a partitioned table, its clones on the partitions go too).
-- @ident trigger_name the trigger
-- @ident table_schema schema of its table
-- @ident table_name its table
DROP TRIGGER IF EXISTS {{trigger_name}} ON {{table_schema}}.{{table_name}};
