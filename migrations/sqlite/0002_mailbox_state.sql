-- Where each watched mailbox has been read up to: the highest UID committed under its
-- UIDVALIDITY. Advanced in the same transaction as the message it covers.
CREATE TABLE mailbox_cursors (
    mailbox TEXT PRIMARY KEY,
    uidvalidity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

-- Every UID looked at, including ignored and duplicate mail, with the folder it is to be filed
-- in. `filed_ms` stays NULL until the server confirmed the move (or flag), so filing is retried.
CREATE TABLE mailbox_uids (
    mailbox TEXT NOT NULL,
    uidvalidity BIGINT NOT NULL,
    uid BIGINT NOT NULL,
    message_id TEXT NOT NULL REFERENCES messages (id),
    folder TEXT NOT NULL,
    filed_ms BIGINT,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
CREATE INDEX mailbox_uids_unfiled ON mailbox_uids (mailbox, uidvalidity, filed_ms);
