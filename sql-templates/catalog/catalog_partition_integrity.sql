-- What about the logs' partitions (migration 7 on) is not as maintenance leaves it, one row
-- per finding (object, problem): a partition owned by another role than its log, or with
-- privileges of its own (access goes through the log); no partition yet for next month
-- (maintenance has not run); rows waiting in a default partition for their month's.
-- @ident schema the audit schema
-- @literal schema_name the audit schema, as a string
SELECT p.partition_name AS object,
       'partition owned by ' || pg_catalog.pg_get_userbyid(c.relowner)::text || ', not by its log''s owner '
           || pg_catalog.pg_get_userbyid(l.relowner)::text AS problem
FROM {{schema}}.pg_audit_partitions() AS p
JOIN pg_catalog.pg_class AS c ON c.oid = pg_catalog.format('%I.%I', {{schema_name}}, p.partition_name)::regclass
JOIN pg_catalog.pg_class AS l ON l.oid = pg_catalog.format('%I.%I', {{schema_name}}, p.log_table)::regclass
WHERE c.relowner <> l.relowner
UNION ALL
SELECT p.partition_name, 'partition with privileges of its own (for ' || pg_catalog.string_agg(DISTINCT
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee)::text END, ', ')
           || '): access goes through the log; revoke them'
FROM {{schema}}.pg_audit_partitions() AS p
JOIN pg_catalog.pg_class AS c ON c.oid = pg_catalog.format('%I.%I', {{schema_name}}, p.partition_name)::regclass
CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) AS a
WHERE a.grantee <> c.relowner
GROUP BY p.partition_name
UNION ALL
SELECT g.log_table, 'no partition for next month yet: run `pg-audit maintain` (or start the application, whose Audit handle maintains the log)'
FROM (VALUES ('pg_audit_log_data'), ('pg_api_audit_log')) AS g(log_table)
WHERE NOT EXISTS (
    SELECT 1 FROM {{schema}}.pg_audit_partitions() AS p
    WHERE p.log_table = g.log_table AND NOT p.is_default
      AND coalesce(p.lower_bound, '-infinity') <= {{schema}}.pg_audit_month(pg_catalog.now(), 1)
      AND coalesce(p.upper_bound, 'infinity') > {{schema}}.pg_audit_month(pg_catalog.now(), 1))
UNION ALL
SELECT g.log_table || '_default', 'holds rows of ' || pg_catalog.count(*)::text || ' month(s) without a partition: run `pg-audit maintain` to move them into their own'
FROM (VALUES ('pg_audit_log_data'), ('pg_api_audit_log')) AS g(log_table)
CROSS JOIN LATERAL {{schema}}.pg_audit_default_months(g.log_table) AS d(month_start)
GROUP BY g.log_table
