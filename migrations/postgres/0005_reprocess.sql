-- `reprocess` (issue #11): a referral decided again with today's configuration keeps its row and
-- reference; the decision it replaces is kept here, beside the new one, for audit. One row per
-- referral whose outcome changed, written in the same transaction as the change.
CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL REFERENCES referrals (id),
    message_id TEXT NOT NULL REFERENCES messages (id),
    reference TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    -- NULL for a referral the earlier decision did not find (a quarantined message, say).
    old_outcome TEXT,
    old_reasons TEXT,
    old_fields TEXT,
    new_outcome TEXT NOT NULL
        CHECK (new_outcome IN ('accepted', 'needs_info', 'screened_out', 'redirected', 'review', 'ignored')),
    new_reasons TEXT NOT NULL,
    new_fields TEXT NOT NULL
);
CREATE INDEX decisions_reference ON decisions (reference, at_ms);
CREATE INDEX decisions_message ON decisions (message_id);

-- The new email kind (`update`, to the sender) and audit event (`reprocessed`).
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_known
    CHECK (kind IN ('ack', 'forward', 'redirect', 'update'));
ALTER TABLE events DROP CONSTRAINT events_kind_known;
ALTER TABLE events ADD CONSTRAINT events_kind_known
    CHECK (kind IN ('processed', 'bounce', 'reply_withheld', 'duplicate', 'resynced', 'purge', 'reprocessed'));
