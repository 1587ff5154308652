-- Recipients that bounced permanently (RFC 3464 DSN, Action: failed, Status: 5.x.x): no
-- acknowledgement or redirect goes to them until `until_ms`. Addresses are stored lowercased.
-- `message_id` is the stored bounce message the suppression came from (audit).
CREATE TABLE suppressions (
    address TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    until_ms BIGINT NOT NULL,
    message_id TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

-- Counting replies per recipient in a time window (the per-sender acknowledgement limit).
CREATE INDEX outbox_recipient_created ON outbox (recipient, created_ms);

-- Retention: when a message's raw bytes (or an outbox row's .eml) were cleared by `purge`.
-- The metadata rows stay; NULL means the content is still there.
ALTER TABLE messages ADD COLUMN raw_purged_ms BIGINT;
ALTER TABLE outbox ADD COLUMN eml_purged_ms BIGINT;
CREATE INDEX messages_received ON messages (received_ms);
