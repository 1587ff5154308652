-- Messages looked at, with their raw bytes (base64) for audit and replay.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,
    mailbox TEXT NOT NULL,
    uidvalidity BIGINT,
    uid BIGINT,
    rfc_message_id TEXT,
    inbox_region TEXT NOT NULL,
    received_ms BIGINT NOT NULL,
    disposition TEXT NOT NULL,
    programs TEXT NOT NULL,
    reasons TEXT NOT NULL,
    summary TEXT NOT NULL,
    raw TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_mailbox_uid ON messages (mailbox, uidvalidity, uid);
CREATE INDEX messages_rfc_id ON messages (rfc_message_id);

-- One row per screened referral (a batch message has several).
CREATE TABLE referrals (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    reference TEXT NOT NULL UNIQUE,
    program TEXT NOT NULL,
    region TEXT,
    outcome TEXT NOT NULL,
    reasons TEXT NOT NULL,
    fields TEXT NOT NULL,
    member_cin TEXT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX referrals_cin ON referrals (member_cin, program);
CREATE INDEX referrals_message ON referrals (message_id);

-- Durable outbox: an email is written here in the message's transaction and marked sent only
-- after the SMTP server (or the replay writer) accepted it.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages (id),
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    reference TEXT NOT NULL,
    eml TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    sent_ms BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_ms);

-- Audit trail: what happened to each message and when. Details never hold member data.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    message_id TEXT,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX events_message ON events (message_id);

-- Reference number sequences, one per program/region/year.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
