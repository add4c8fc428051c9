-- Records one declared setting.
-- @ident schema the audit schema
INSERT INTO {{schema}}.pg_audit_settings (name, value)
VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value
