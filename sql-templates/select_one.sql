-- Checks that the server answers.
SELECT 1
