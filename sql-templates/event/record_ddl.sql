-- Records one DDL row of pg-audit's own run ($1: schema, $2: object name, $3: jsonb
-- description), through the one function that writes DDL and SNAPSHOT rows.
-- @ident schema the audit schema
SELECT {{schema}}.pg_audit_record('DDL', $1, $2, ARRAY[NULL]::text[], ARRAY[$3::jsonb])
