-- Whether an UPDATE's transition tables hold as many old rows as new ones, so the rows pair
-- by position (trigger_update_paired). Only a partitioned table can differ: a row moved to
-- another partition whose BEFORE INSERT trigger returned NULL leaves an old row without its
-- new one. Any other table's body has `true` in its place and counts nothing.
(SELECT pg_catalog.count(*) FROM pg_audit_old) OPERATOR(pg_catalog.=) (SELECT pg_catalog.count(*) FROM pg_audit_new)
