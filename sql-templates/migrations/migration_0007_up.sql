-- Migration 7: the log at scale. Both logs are range-partitioned by time, a partition a
-- month (UTC), with a default partition so that a row of any time lands, and the former
-- logs become their first partitions without a row moving (migration_0007_convert_body).
-- Partitions are made ahead by pg_audit_create_partitions (migrate, the Audit handle's
-- maintenance, `pg-audit maintain`), and retention drops whole ones
-- (pg_audit_drop_partitions). The data log's rows are stored compact: an UPDATE keeps its
-- whole old row and, in new_values, only the values that changed; the view pg_audit_log,
-- which keeps the name, columns and meaning of the former table, gives new_data as the
-- whole new row again (old_data || new_values). The former data log's indexes match the
-- new log's and are taken over; the former API log's path and status indexes are rebuilt
-- with the id.
-- @ident schema the audit schema
-- @ident role the audit role
-- @dollar month_body rendered month_body
-- @dollar partitions_body rendered partitions_body
-- @dollar default_months_body rendered default_months_body
-- @dollar add_partition_body rendered add_partition_body
-- @dollar create_partitions_body rendered create_partitions_body
-- @dollar drop_partitions_body rendered drop_partitions_body
-- @dollar new_data_body rendered new_data_body
-- @dollar view_insert_body rendered log_view_insert_body
-- @dollar record_body rendered record_body
-- @dollar convert_body rendered migration_0007_convert_body

ALTER TABLE {{schema}}.pg_audit_log RENAME TO pg_audit_log_data_old;
ALTER TABLE {{schema}}.pg_api_audit_log RENAME TO pg_api_audit_log_old;

-- The data log as stored. Column for column the former pg_audit_log, but new_values.
CREATE TABLE {{schema}}.pg_audit_log_data (
    id bigint GENERATED ALWAYS AS IDENTITY,
    schema_name text COLLATE "C" NOT NULL,
    table_name text COLLATE "C" NOT NULL,
    operation text NOT NULL,
    old_data jsonb,
    -- INSERT, SNAPSHOT: the whole new row; UPDATE: the columns whose value changed, with
    -- their new values; DDL: the description of the command.
    new_values jsonb,
    changed_fields jsonb,
    record_id text COLLATE "C",
    ip_address inet,
    updated_at timestamptz NOT NULL DEFAULT statement_timestamp(),
    updated_by text,
    is_db_user boolean NOT NULL DEFAULT false,
    db_user text,
    application_name text,
    api_name text,
    http_method text,
    request_id uuid,
    transaction_id bigint,
    context jsonb,
    CONSTRAINT pg_audit_log_operation_check
        CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'DDL', 'SNAPSHOT'))
) PARTITION BY RANGE (updated_at);

-- Each index serves a read of the query API, the command or the viewer (docs/performance.md
-- lists them with their cost per row); each partition also has its own index on id.
-- The history of one record (query --record, the viewer's record page, as-of).
CREATE INDEX pg_audit_log_data_record_idx ON {{schema}}.pg_audit_log_data (schema_name, table_name, record_id, id);
-- A time window, read by index alone (the viewer's windows and charts, --since/--until).
CREATE INDEX pg_audit_log_data_time_idx ON {{schema}}.pg_audit_log_data (updated_at, id);
-- All changes of one request (--request, the viewer's request page).
CREATE INDEX pg_audit_log_data_request_idx ON {{schema}}.pg_audit_log_data (request_id) WHERE request_id IS NOT NULL;
-- All changes by one user, newest first (--user, the viewer's user filter).
CREATE INDEX pg_audit_log_data_user_idx ON {{schema}}.pg_audit_log_data (updated_by, id) WHERE updated_by IS NOT NULL;

CREATE TABLE {{schema}}.pg_api_audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY,
    request_id uuid,
    api_name text COLLATE "C",
    http_method text COLLATE "C",
    request_payload jsonb,
    response_body jsonb,
    response_code integer,
    user_id text,
    ip_address inet,
    created_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision
) PARTITION BY RANGE (created_at);
-- The writer's exactly-once key (its ON CONFLICT DO NOTHING) is each partition's own unique
-- (request_id, created_at) index, made by pg_audit_add_partition, and serves one request by
-- its id: a former log holding requests written twice before migration 2 keeps its partial
-- key of that migration, which a key of the partitioned log's own could not take over.
-- A time window (the viewer's Requests page and chart).
CREATE INDEX pg_api_audit_log_data_time_idx ON {{schema}}.pg_api_audit_log (created_at, id);
-- Requests of one endpoint (--api, the viewer's path filter) and of one status (its status
-- filter: the rare 5xx among many 2xx). With the id, the viewer's bounded search reads the
-- ids a filter selects from the index alone (without it, 20,000 heap fetches for a common
-- status took longer than the page's budget on a 2M-request log).
CREATE INDEX pg_api_audit_log_data_path_idx ON {{schema}}.pg_api_audit_log (api_name, http_method, id);
CREATE INDEX pg_api_audit_log_data_status_idx ON {{schema}}.pg_api_audit_log (response_code, id);

-- The append-only guard, on every partition present and future (row triggers are cloned;
-- pg_audit_add_partition gives each partition its TRUNCATE trigger).
CREATE TRIGGER pg_audit_append_only
BEFORE UPDATE OR DELETE ON {{schema}}.pg_audit_log_data
FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
CREATE TRIGGER pg_audit_append_only_truncate
BEFORE TRUNCATE ON {{schema}}.pg_audit_log_data
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
CREATE TRIGGER pg_audit_append_only
BEFORE UPDATE OR DELETE ON {{schema}}.pg_api_audit_log
FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
CREATE TRIGGER pg_audit_append_only_truncate
BEFORE TRUNCATE ON {{schema}}.pg_api_audit_log
FOR EACH STATEMENT EXECUTE FUNCTION {{schema}}.pg_audit_reject_change();
ALTER TABLE {{schema}}.pg_audit_log_data ENABLE ALWAYS TRIGGER pg_audit_append_only;
ALTER TABLE {{schema}}.pg_audit_log_data ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate;
ALTER TABLE {{schema}}.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only;
ALTER TABLE {{schema}}.pg_api_audit_log ENABLE ALWAYS TRIGGER pg_audit_append_only_truncate;

-- An UPDATE's whole new row from its stored form (pg_audit_new_data_body). EXECUTE stays
-- PUBLIC's: a reader of the view calls it with its own rights, and it only reads its
-- arguments.
CREATE FUNCTION {{schema}}.pg_audit_new_data(old_row jsonb, new_values jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS {{new_data_body}};

-- The data log as read: the former pg_audit_log's columns, in its order, with new_data the
-- whole new row (old_data || new_values for an UPDATE).
CREATE VIEW {{schema}}.pg_audit_log AS
SELECT d.id, d.schema_name, d.table_name, d.operation, d.old_data,
       CASE WHEN d.operation = 'UPDATE' AND d.old_data IS NOT NULL
            THEN {{schema}}.pg_audit_new_data(d.old_data, d.new_values)
            ELSE d.new_values END AS new_data,
       d.changed_fields, d.record_id, d.ip_address, d.updated_at, d.updated_by, d.is_db_user,
       d.db_user, d.application_name, d.api_name, d.http_method, d.request_id,
       d.transaction_id, d.context
FROM {{schema}}.pg_audit_log_data AS d;

-- SECURITY DEFINER: the row's id and time come back to the writer (RETURNING), which a
-- role that may only append could not read; reaching it takes INSERT on the view.
CREATE FUNCTION {{schema}}.pg_audit_log_insert() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{view_insert_body}};
CREATE TRIGGER pg_audit_log_insert
INSTEAD OF INSERT ON {{schema}}.pg_audit_log
FOR EACH ROW EXECUTE FUNCTION {{schema}}.pg_audit_log_insert();

CREATE FUNCTION {{schema}}.pg_audit_month(moment timestamptz, months_later integer) RETURNS timestamptz
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
SET search_path = pg_catalog, pg_temp
AS {{month_body}};

CREATE FUNCTION {{schema}}.pg_audit_partitions()
RETURNS TABLE (log_table text, partition_name text, lower_bound timestamptz, upper_bound timestamptz, is_default boolean)
LANGUAGE sql STABLE
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET search_path = pg_catalog, pg_temp
AS {{partitions_body}};

CREATE FUNCTION {{schema}}.pg_audit_default_months(parent text) RETURNS SETOF timestamptz
LANGUAGE plpgsql STABLE
SET TimeZone = 'UTC'
SET search_path = pg_catalog, pg_temp
AS {{default_months_body}};

CREATE FUNCTION {{schema}}.pg_audit_add_partition(parent text, lower_bound timestamptz, upper_bound timestamptz, adopt text)
RETURNS text
LANGUAGE plpgsql
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET search_path = pg_catalog, pg_temp
AS {{add_partition_body}};

-- SECURITY DEFINER: a partition belongs to the log's owner whoever makes it (a role the
-- owner grants EXECUTE, such as an application that does not own the audit schema); it can
-- make partitions and move rows out of a default partition, nothing else.
CREATE FUNCTION {{schema}}.pg_audit_create_partitions(months_ahead integer) RETURNS text[]
LANGUAGE plpgsql
SECURITY DEFINER
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET search_path = pg_catalog, pg_temp
AS {{create_partitions_body}};

-- SECURITY DEFINER for the DROP, which only the log's owner may do; EXECUTE is the owner's
-- alone, as pg_audit_purge's is.
CREATE FUNCTION {{schema}}.pg_audit_drop_partitions(older_than timestamptz, at_most integer DEFAULT 1) RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET search_path = pg_catalog, pg_temp
AS {{drop_partitions_body}};

CREATE OR REPLACE FUNCTION {{schema}}.pg_audit_record(
    p_operation text, p_schema_name text, p_table_name text, p_record_ids text[], p_rows jsonb[]
) RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS {{record_body}};

-- The default partitions: a row of a month without a partition lands there, until
-- pg_audit_create_partitions (which every migrate run calls once the tables are attached)
-- moves it to its month's.
SELECT {{schema}}.pg_audit_add_partition('pg_audit_log_data', NULL, NULL, NULL);
SELECT {{schema}}.pg_audit_add_partition('pg_api_audit_log', NULL, NULL, NULL);

DO {{convert_body}};


-- Least privilege, as for every object of the audit schema: the audit role appends to the
-- data log (its trigger functions write it directly, a function rendered before this
-- migration through the view); the partition functions are the owner's.
REVOKE ALL ON {{schema}}.pg_audit_log_data FROM PUBLIC;
GRANT INSERT ON {{schema}}.pg_audit_log_data TO {{role}};
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_log_insert() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_month(timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_partitions() FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_default_months(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_add_partition(text, timestamptz, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_create_partitions(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION {{schema}}.pg_audit_drop_partitions(timestamptz, integer) FROM PUBLIC;
