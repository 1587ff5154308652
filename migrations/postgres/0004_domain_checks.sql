-- The store's coded columns hold only the codes the program knows (issue #9): a write with any
-- other value is refused, whichever program or person makes it.

ALTER TABLE outbox ADD CONSTRAINT outbox_kind_known
    CHECK (kind IN ('ack', 'forward', 'redirect'));
ALTER TABLE outbox ADD CONSTRAINT outbox_status_known
    CHECK (status IN ('pending', 'sent', 'discarded', 'failed', 'withheld'));
ALTER TABLE events ADD CONSTRAINT events_kind_known
    CHECK (kind IN ('processed', 'bounce', 'reply_withheld', 'duplicate', 'resynced', 'purge'));
ALTER TABLE referrals ADD CONSTRAINT referrals_program_known
    CHECK (program IN ('ecm', 'cs', 'chw'));
ALTER TABLE referrals ADD CONSTRAINT referrals_outcome_known
    CHECK (outcome IN ('accepted', 'needs_info', 'screened_out', 'redirected', 'review', 'ignored'));
ALTER TABLE messages ADD CONSTRAINT messages_disposition_known
    CHECK (disposition IN ('referral', 'review', 'ignored'));
