-- The durability barrier (SQLite only; see `Store::make_durable`).
--
-- Message commits are written to the WAL without an fsync. Before anything outside the store acts
-- on a commit (an email sent, a message moved out of the inbox), one small write of this row is
-- committed with `synchronous = FULL`: its fsync carries every earlier commit in the log with it,
-- so one fsync serves all the messages committed since the last one.
CREATE TABLE store_sync (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO store_sync (id, n) VALUES (1, 0);
