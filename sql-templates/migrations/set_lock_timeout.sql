-- Bounds how long attach and migrate wait behind other transactions for a lock ($1: e.g. '5000ms').
SELECT pg_catalog.set_config('lock_timeout', $1, true)
