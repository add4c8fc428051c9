-- An UPDATE's new row as the log stores it: the masked new row without the known columns
-- whose value is the old row's (the view pg_audit_log adds them back from old_data). A
-- column added since attach stays in, which reads back the same.
-- @fragment new_data the masked new row
-- @fragment unchanged one expr_column_unchanged per known column, comma-separated
({{new_data}} OPERATOR(pg_catalog.-) ARRAY[{{unchanged}}]::text[])
