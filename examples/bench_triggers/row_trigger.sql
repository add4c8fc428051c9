-- Benchmark: installs the hand-made row-level audit trigger on rowlevel.bench_r.
-- @ident schema the audit schema
-- @dollar body rendered row_trigger_body.sql
CREATE FUNCTION {{schema}}.bench_row_audit() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS {{body}};
CREATE TRIGGER bench_row_audit
AFTER INSERT OR DELETE ON rowlevel.bench_r
FOR EACH ROW EXECUTE FUNCTION {{schema}}.bench_row_audit();
CREATE TRIGGER bench_row_audit_update
AFTER UPDATE ON rowlevel.bench_r
FOR EACH ROW
WHEN (OLD::text IS DISTINCT FROM NEW::text)
EXECUTE FUNCTION {{schema}}.bench_row_audit();
