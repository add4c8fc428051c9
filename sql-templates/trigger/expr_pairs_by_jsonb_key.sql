-- OLD/NEW pairs joined on the key values taken from each row's jsonb: slower, but needs no
-- column name, for after a key column was renamed.
-- @fragment old_key key, over o.j
-- @fragment new_key key, over n.j
SELECT o.j AS oj, n.j AS nj
FROM (SELECT to_jsonb(t) AS j FROM pg_audit_old AS t OFFSET 0) AS o
JOIN (SELECT to_jsonb(t) AS j FROM pg_audit_new AS t OFFSET 0) AS n ON {{old_key}} = {{new_key}}
