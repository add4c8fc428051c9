-- The event triggers calling a function of the audit schema ($1): name, event, function and
-- whether it is enabled always ('A'), enabled ('O'), for replicas ('R') or disabled ('D').
SELECT e.evtname::text AS name, e.evtevent::text AS event, p.proname::text AS function_name, e.evtenabled::text AS enabled
FROM pg_catalog.pg_event_trigger AS e
JOIN pg_catalog.pg_proc AS p ON p.oid = e.evtfoid
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = $1
ORDER BY 1
