-- Where a time window of a log lies in id order: the lowest and highest id of its rows
-- ($1: its start, NULL for none; $2: its end) within the cursors' range ($3: ids below,
-- $4: ids above, NULL for none), read from the log's (time, id) index alone. At most $5
-- rows of the window are read; `rows` below $5 says the bounds are those of the whole
-- window. Any row of the window may hold its highest id (a long statement writes rows
-- stamped with its start after later statements wrote theirs), so only a complete read
-- gives the bounds.
-- @ident audit_schema the audit schema
-- @ident log          the log: pg_audit_log or pg_api_audit_log
-- @ident time         its time column: updated_at or created_at
SELECT min(id) AS lowest, max(id) AS highest, count(*) AS rows
FROM (
    SELECT id
    FROM {{audit_schema}}.{{log}}
    WHERE ($1::timestamptz IS NULL OR {{time}} >= $1)
      AND {{time}} < $2::timestamptz
      AND ($3::bigint IS NULL OR id < $3)
      AND ($4::bigint IS NULL OR id > $4)
    ORDER BY {{time}} DESC
    LIMIT $5
) AS window_rows
