-- The deduplicator reads its backlog with WHERE event_id IS NULL ORDER BY
-- published, id. With a full index on event_id, SQLite answered that from
-- items_event (IS NULL is an equality to it) and sorted the whole backlog
-- for every batch: quadratic in the backlog. The event index now holds only
-- placed items, which every event_id = ? lookup implies, and the backlog
-- index carries the whole sort key, so both backends read a batch in order.
DROP INDEX items_event;
CREATE INDEX items_event ON items (event_id) WHERE event_id IS NOT NULL;
DROP INDEX items_unclustered;
CREATE INDEX items_unclustered ON items (published, id) WHERE event_id IS NULL;
-- A storyline fold repoints the aliases of the storyline it folds: without
-- an index that was a scan of every alias ever made, at every fold.
CREATE INDEX storyline_aliases_new ON storyline_aliases (new_id);
