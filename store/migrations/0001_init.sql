-- Herald's first schema. Portable SQL: the store replaces {{ID}} with the
-- dialect's auto-increment primary key; times are Unix milliseconds (BIGINT)
-- so that both databases compare and sort them the same way.

CREATE TABLE feeds (
    id            {{ID}},
    url           TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL DEFAULT '',
    site_url      TEXT NOT NULL DEFAULT '',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    last_poll     BIGINT NOT NULL DEFAULT 0,
    next_poll     BIGINT NOT NULL DEFAULT 0,
    last_status   TEXT NOT NULL DEFAULT '',
    last_error    TEXT NOT NULL DEFAULT '',
    failures      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    hints         TEXT NOT NULL DEFAULT '{}', -- JSON feeds.Hints from the last document
    created_at    BIGINT NOT NULL
);

-- A feed belongs to one or more topics. origin says who put it there
-- ('config' or 'cli'), so that a feed removed from config.yaml leaves its
-- config topics without touching what `herald add` stored.
CREATE TABLE feed_topics (
    feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    topic   TEXT NOT NULL,
    origin  TEXT NOT NULL,
    PRIMARY KEY (feed_id, topic)
);

CREATE TABLE items (
    id           {{ID}},
    url          TEXT UNIQUE,            -- canonical URL; NULL when the entry has none
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    content      TEXT NOT NULL,
    text         TEXT NOT NULL,
    author       TEXT NOT NULL,
    source       TEXT NOT NULL,
    lang         TEXT NOT NULL,
    published    BIGINT NOT NULL,
    updated      BIGINT NOT NULL,
    hash         TEXT NOT NULL,
    first_seen   BIGINT NOT NULL,
    event_id     TEXT,                   -- NULL until the deduplicator has placed it
    duplicate_of BIGINT,
    cluster_seq  BIGINT                  -- order in which the deduplicator placed it
);
-- Only the items still waiting for the deduplicator: the index stays small.
CREATE INDEX items_unclustered ON items (published) WHERE event_id IS NULL;
CREATE INDEX items_event ON items (event_id);

-- An item seen in several feeds has one row here per feed. guid is the
-- item's identity inside that feed; hash is the entry's content hash as
-- that feed last sent it, so two feeds whose copies differ do not take
-- turns "editing" the item.
CREATE TABLE item_feeds (
    feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid    TEXT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    hash    TEXT NOT NULL,
    PRIMARY KEY (feed_id, guid)
);
CREATE INDEX item_feeds_item ON item_feeds (item_id);

CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    headline     TEXT NOT NULL,
    summary      TEXT NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    size         INTEGER NOT NULL,
    entities     TEXT NOT NULL,          -- JSON array of strings
    topics       TEXT NOT NULL           -- JSON array of strings
);
CREATE INDEX events_last_updated ON events (last_updated);

CREATE TABLE event_relations (
    event_id   TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    related_id TEXT NOT NULL,
    shared     TEXT NOT NULL,            -- JSON array of shared entities
    PRIMARY KEY (event_id, related_id)
);

-- When one report shows that two events were one happening, the
-- deduplicator folds one into the other; the folded id stays reachable.
CREATE TABLE event_aliases (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL
);
