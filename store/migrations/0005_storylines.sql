-- Storylines: threads of related events (the George Floyd protests, Kim
-- Jong Un's health). The deduplicator puts every event in one; a storyline
-- folded into another keeps its id as an alias, as events do.
CREATE TABLE storylines (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    first_seen   BIGINT NOT NULL,
    last_updated BIGINT NOT NULL,
    events       INTEGER NOT NULL,     -- events held in it
    size         INTEGER NOT NULL,     -- reports in those events
    entities     TEXT NOT NULL         -- JSON array of strings
);
CREATE INDEX storylines_last_updated ON storylines (last_updated);

CREATE TABLE storyline_aliases (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL
);

ALTER TABLE events ADD COLUMN storyline_id TEXT;
-- The report of each publisher that readers are sent to (events.Source.Link):
-- a JSON array of item ids.
ALTER TABLE events ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
CREATE INDEX events_storyline ON events (storyline_id);
