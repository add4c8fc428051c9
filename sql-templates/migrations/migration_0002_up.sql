-- Migration 2: every API-log row is unique by (request_id, created_at), so a batch the
-- writer sends again after a timeout whose INSERT did commit on the server writes nothing
-- twice (the insert says ON CONFLICT DO NOTHING). The unique index leads with request_id, so
-- it replaces the plain request_id index.
-- @dollar body rendered migration_0002_request_key_body
DO {{body}};
