-- The audit trigger function of one table, generated at attach time with the table's key,
-- masked and ignored columns baked in, so nothing is looked up per row. SECURITY DEFINER:
-- application roles need no access to the audit tables; search_path is pinned so no object
-- of the caller's can stand in for the functions it calls. The output settings are pinned
-- too, so a row reads the same in the log (and gets the same record_id) whatever the
-- writing session's TimeZone, IntervalStyle, extra_float_digits, bytea_output or
-- lc_monetary. JIT is off: a bulk statement's pairing INSERT is estimated far above
-- jit_above_cost (the planner cannot know the positional join pairs each row once), and
-- compiling it cost half a second of a 100,000-row UPDATE's 3 s, which it never paid back.
-- Nested loops are off: a session keeps the plan of the pairing INSERT that it chose after
-- a few one-row UPDATEs (a generic plan, for transition tables of one row each), and a
-- nested loop there made a later 100,000-row UPDATE on the same connection quadratic (3,000
-- rows took 15 s); a hash or merge join pairs any number of rows. Only the cross join with
-- the one-row context is still a nested loop, as it must be.
-- The function is handed to the audit role, which is then its owner and the rights it runs
-- with: CREATE on the audit schema, which that takes, is granted for the handover only.
-- @ident schema the audit schema
-- @ident role the audit role (owns the function)
-- @ident function_name the function's name (derived from the table's, at most 63 bytes)
-- @dollar body rendered trigger_body
GRANT CREATE ON SCHEMA {{schema}} TO {{role}};
CREATE OR REPLACE FUNCTION {{schema}}.{{function_name}}() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET jit = off
SET enable_nestloop = off
AS {{body}};
REVOKE ALL ON FUNCTION {{schema}}.{{function_name}}() FROM PUBLIC;
ALTER FUNCTION {{schema}}.{{function_name}}() OWNER TO {{role}};
REVOKE CREATE ON SCHEMA {{schema}} FROM {{role}};
