-- The store's coded columns hold only the codes the program knows (issue #9): a write with any
-- other value is refused, whichever program or person makes it. SQLite cannot add a CHECK to an
-- existing table, so triggers do the same work.

CREATE TRIGGER outbox_codes_insert BEFORE INSERT ON outbox
WHEN NEW.kind NOT IN ('ack', 'forward', 'redirect')
  OR NEW.status NOT IN ('pending', 'sent', 'discarded', 'failed', 'withheld')
BEGIN
    SELECT RAISE(ABORT, 'outbox: unknown kind or status');
END;

CREATE TRIGGER outbox_codes_update BEFORE UPDATE OF kind, status ON outbox
WHEN NEW.kind NOT IN ('ack', 'forward', 'redirect')
  OR NEW.status NOT IN ('pending', 'sent', 'discarded', 'failed', 'withheld')
BEGIN
    SELECT RAISE(ABORT, 'outbox: unknown kind or status');
END;

CREATE TRIGGER events_kind_insert BEFORE INSERT ON events
WHEN NEW.kind NOT IN ('processed', 'bounce', 'reply_withheld', 'duplicate', 'resynced', 'purge')
BEGIN
    SELECT RAISE(ABORT, 'events: unknown kind');
END;

CREATE TRIGGER referrals_codes_insert BEFORE INSERT ON referrals
WHEN NEW.program NOT IN ('ecm', 'cs', 'chw')
  OR NEW.outcome NOT IN ('accepted', 'needs_info', 'screened_out', 'redirected', 'review', 'ignored')
BEGIN
    SELECT RAISE(ABORT, 'referrals: unknown program or outcome');
END;

CREATE TRIGGER messages_disposition_insert BEFORE INSERT ON messages
WHEN NEW.disposition NOT IN ('referral', 'review', 'ignored')
BEGIN
    SELECT RAISE(ABORT, 'messages: unknown disposition');
END;
