-- Benchmark (pgbench TPC-B): the rows of pgbench_history, one per transaction of the last
-- run (pgbench empties it before each run), and how many have delta 0: those transactions'
-- three UPDATEs change nothing, and pg-audit does not record no-op UPDATEs.
SELECT count(*), count(*) FILTER (WHERE delta = 0)
FROM public.pgbench_history
