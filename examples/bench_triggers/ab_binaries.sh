#!/bin/bash
# Interleaved A/B of the bulk paths of two pg-audit binaries: the same table audited by each
# binary (in its own database) and a plain twin, one 100,000-row INSERT and UPDATE per round,
# 7 rounds; prints "round binary table insert_ms update_ms".
# Usage: PG_AUDIT_BEFORE=/path/pg-audit PG_AUDIT_NOW=target/release/pg-audit examples/bench_triggers/ab_binaries.sh
set -e
declare -A bins=([before]="${PG_AUDIT_BEFORE:?path of the first binary}" [now]="${PG_AUDIT_NOW:?path of the second binary}")
P="psql -h 127.0.0.1 -U postgres -qAtX"
for v in before now; do
  $P -d postgres -c "DROP DATABASE IF EXISTS ab_$v" -c "CREATE DATABASE ab_$v"
  $P -d ab_$v -c "CREATE TABLE bench_bulk (id bigserial primary key, name text, qty int, price numeric, note text, updated_at timestamptz); CREATE SCHEMA plain; CREATE TABLE plain.bench_bulk (LIKE public.bench_bulk INCLUDING ALL)"
  DATABASE_URL=postgres://postgres@127.0.0.1/ab_$v "${bins[$v]}" migrate >/dev/null
done
ms() { $P -d $1 -c "\\timing on" -c "$2" | grep -o 'Time: [0-9.]*' | awk '{print $2}'; }
for r in 1 2 3 4 5 6 7; do
  for v in before now; do
    for t in plain.bench_bulk public.bench_bulk; do
      $P -d ab_$v -c "TRUNCATE $t"
      i=$(ms ab_$v "INSERT INTO $t (name, qty, price, note, updated_at) SELECT 'n'||g, g, g*1.5, 'note', now() FROM generate_series(1,100000) g")
      u=$(ms ab_$v "UPDATE $t SET qty = qty + 1, updated_at = now()")
      echo "$r $v $t $i $u"
    done
  done
done
