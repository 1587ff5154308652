-- Several instances on one PostgreSQL store (SPEC §8a, issue #12).
--
-- One worker per mailbox: the instance named `holder` works `mailbox` until `expires_ms` (the
-- database's clock, in ms since the epoch), renewing it every few seconds. Every takeover raises
-- `epoch`; a message commit checks (and locks) the lease row it was fetched under, so a holder
-- that lost its lease — paused, cut off — can no longer commit for the mailbox.
CREATE TABLE mailbox_leases (
    mailbox TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL
);

-- Outbox rows claimed by one instance's sender until `claim_until_ms`: each email is sent by one
-- instance, and a crashed sender's claims lapse.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claim_until_ms BIGINT;
