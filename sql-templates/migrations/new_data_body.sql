-- Body of pg_audit_new_data(old_row, new_values): the whole new row of an UPDATE, its old
-- row with the changed values laid over it. A value nested deeper than this session's
-- stack can rebuild (stored from a session with a larger max_stack_depth) cannot be
-- merged; the stored new values are then given as they are, so a row never fails to read
-- (a row stored before migration 7, or through the view, holds the whole new row there).
BEGIN
    RETURN old_row || new_values;
EXCEPTION WHEN statement_too_complex THEN
    RETURN new_values;
END
