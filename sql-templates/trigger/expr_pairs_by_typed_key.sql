-- OLD/NEW pairs joined on the typed primary-key columns (a hash join), each row turned
-- into jsonb once.
-- @fragment key_join o.k = n.k for each key column, AND-ed
SELECT to_jsonb(o) AS oj, to_jsonb(n) AS nj
FROM pg_audit_old AS o
JOIN pg_audit_new AS n ON {{key_join}}
OFFSET 0
