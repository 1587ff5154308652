-- Each outbox email's bytes in a table of their own, written once (issue #9).
--
-- An outbox row changes as it is sent (status, attempts, sent_ms); a body never does. Kept in the
-- row, every status change rewrote the whole email — its overflow pages through the log and again
-- at the checkpoint — so each email was written twice. Apart, a status change rewrites a row of a
-- hundred bytes. `purge` clears a body's bytes ('') as it cleared the column.
CREATE TABLE outbox_bodies (
    outbox_id TEXT PRIMARY KEY REFERENCES outbox (id),
    eml TEXT NOT NULL
);
INSERT INTO outbox_bodies (outbox_id, eml) SELECT id, eml FROM outbox;
ALTER TABLE outbox DROP COLUMN eml;
