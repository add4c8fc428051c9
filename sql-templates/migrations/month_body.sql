-- Body of pg_audit_month(moment, months_later): the start (UTC) of the month months_later
-- months after the one of the moment; the partitions' bounds.
SELECT pg_catalog.date_trunc('month', moment) + pg_catalog.make_interval(months => months_later)
