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
    new_outcome TEXT NOT NULL,
    new_reasons TEXT NOT NULL,
    new_fields TEXT NOT NULL
);
CREATE INDEX decisions_reference ON decisions (reference, at_ms);
CREATE INDEX decisions_message ON decisions (message_id);

-- The new email kind (`update`, to the sender) and audit event (`reprocessed`). SQLite cannot
-- change a trigger: they are dropped and made again with the wider lists.
DROP TRIGGER outbox_codes_insert;
DROP TRIGGER outbox_codes_update;
DROP TRIGGER events_kind_insert;

CREATE TRIGGER outbox_codes_insert BEFORE INSERT ON outbox
WHEN NEW.kind NOT IN ('ack', 'forward', 'redirect', 'update')
  OR NEW.status NOT IN ('pending', 'sent', 'discarded', 'failed', 'withheld')
BEGIN
    SELECT RAISE(ABORT, 'outbox: unknown kind or status');
END;

CREATE TRIGGER outbox_codes_update BEFORE UPDATE OF kind, status ON outbox
WHEN NEW.kind NOT IN ('ack', 'forward', 'redirect', 'update')
  OR NEW.status NOT IN ('pending', 'sent', 'discarded', 'failed', 'withheld')
BEGIN
    SELECT RAISE(ABORT, 'outbox: unknown kind or status');
END;

CREATE TRIGGER events_kind_insert BEFORE INSERT ON events
WHEN NEW.kind NOT IN ('processed', 'bounce', 'reply_withheld', 'duplicate', 'resynced', 'purge', 'reprocessed')
BEGIN
    SELECT RAISE(ABORT, 'events: unknown kind');
END;

-- Referrals and messages are now updated too (PostgreSQL's CHECKs cover updates already).
CREATE TRIGGER referrals_codes_update BEFORE UPDATE OF program, outcome ON referrals
WHEN NEW.program NOT IN ('ecm', 'cs', 'chw')
  OR NEW.outcome NOT IN ('accepted', 'needs_info', 'screened_out', 'redirected', 'review', 'ignored')
BEGIN
    SELECT RAISE(ABORT, 'referrals: unknown program or outcome');
END;

CREATE TRIGGER messages_disposition_update BEFORE UPDATE OF disposition ON messages
WHEN NEW.disposition NOT IN ('referral', 'review', 'ignored')
BEGIN
    SELECT RAISE(ABORT, 'messages: unknown disposition');
END;

CREATE TRIGGER decisions_outcome_insert BEFORE INSERT ON decisions
WHEN NEW.new_outcome NOT IN ('accepted', 'needs_info', 'screened_out', 'redirected', 'review', 'ignored')
BEGIN
    SELECT RAISE(ABORT, 'decisions: unknown outcome');
END;
