-- A row's jsonb with its masked columns replaced by "********".
-- @fragment value the row as jsonb
-- @literal mask a jsonb object mapping each masked column to "********"
({{value}} || {{mask}}::jsonb)
