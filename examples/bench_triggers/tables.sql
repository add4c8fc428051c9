-- Benchmark (examples/bench_triggers): three identical tables. public.bench_a is audited
-- by pg-audit, plain.bench_p is not audited, rowlevel.bench_r gets the hand-made row-level
-- trigger of row_trigger.sql, the alternative the statement-level form is measured against.
CREATE SCHEMA plain;
CREATE SCHEMA rowlevel;
CREATE TABLE public.bench_a (
    id bigint PRIMARY KEY,
    customer text NOT NULL,
    total numeric(12, 2) NOT NULL,
    status text NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE TABLE plain.bench_p (LIKE public.bench_a INCLUDING ALL);
CREATE TABLE rowlevel.bench_r (LIKE public.bench_a INCLUDING ALL);
