-- Digests: the outbox that makes each (subscriber, period) digest go out
-- exactly once. A row is written, with the complete rendered message, in
-- the same transaction as the events it covers; a sender claims it before
-- talking SMTP and marks it sent when the server has accepted it.
CREATE TABLE digests (
    id            {{ID}},
    subscriber    TEXT NOT NULL,            -- lower-cased address
    period_start  BIGINT NOT NULL,
    period_end    BIGINT NOT NULL,          -- with subscriber, the digest's identity
    status        TEXT NOT NULL,            -- pending, sent, failed, empty, cancelled
    late          INTEGER NOT NULL DEFAULT 0,
    message_id    TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL DEFAULT '',
    message       TEXT NOT NULL DEFAULT '', -- the exact bytes to send (7-bit clean)
    event_count   INTEGER NOT NULL DEFAULT 0,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  BIGINT NOT NULL DEFAULT 0,
    claimed_by    TEXT NOT NULL DEFAULT '',
    claimed_until BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    BIGINT NOT NULL,
    sent_at       BIGINT NOT NULL DEFAULT 0,
    through_seq   BIGINT NOT NULL DEFAULT 0, -- the last placement (items.cluster_seq) it saw
    UNIQUE (subscriber, period_end)
);
CREATE INDEX digests_pending ON digests (status, next_attempt);

-- The events each digest listed, with how many independent sources they
-- had then: "new or grown since the previous digest" is read from here.
CREATE TABLE digest_events (
    digest_id BIGINT NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    event_id  TEXT NOT NULL,
    sources   INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    is_update INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (digest_id, event_id)
);
CREATE INDEX digest_events_event ON digest_events (event_id);

-- When Herald first saw each subscriber: no backdated first digest.
CREATE TABLE digest_subscribers (
    email TEXT PRIMARY KEY,
    since BIGINT NOT NULL
);

CREATE TABLE unsubscribes (
    email TEXT PRIMARY KEY,
    at    BIGINT NOT NULL
);

-- Secrets Herald makes for itself, such as the unsubscribe token key.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL                     -- hex
);

-- Digests pick events by when their reports were stored, and catch up on
-- reports placed in events since the previous digest was built.
CREATE INDEX items_first_seen ON items (first_seen);
CREATE INDEX items_cluster_seq ON items (cluster_seq);
