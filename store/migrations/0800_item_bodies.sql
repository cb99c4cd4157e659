-- What an item says (its summary, content and plain text: kilobytes) moves
-- out of its row into item_bodies. Both databases write a whole new row on
-- any update, and the deduplicator updates every item once (event_id,
-- cluster_seq): with the text in the row, placing 59,000 items rewrote
-- some 140 MB of pages on SQLite, most of what saving a placement cost.
-- Only the deduplicator reads the text, and the poller writes it.
--
-- The columns leave items in the migration's Go step (store/bodies.go):
-- SQLite's DROP COLUMN rewrites every row in place, keeping the old pages
-- in memory until the statement ends (2 GB for a 1.5 GB database), so
-- items is rebuilt without them instead.
CREATE TABLE item_bodies (
    item_id {{KEY}} REFERENCES items(id) ON DELETE CASCADE,
    summary TEXT NOT NULL,   -- sanitized HTML
    content TEXT NOT NULL,   -- sanitized HTML; '' when the entry repeats its summary
    text    TEXT NOT NULL    -- plain text of both, what the deduplicator reads
);
INSERT INTO item_bodies (item_id, summary, content, text) SELECT id, summary, content, text FROM items;
