-- An item's lead: its description as the deduplicator read it (without its
-- feed's boilerplate, clipped to a summary's length), stored when the item
-- is placed. An event's summary is its headline item's lead; the
-- deduplicator no longer holds the leads of the items in its window (some
-- 100 to 300 bytes each). NULL for an item placed before this migration:
-- the start of its text stands in (store/placements.go).
ALTER TABLE items ADD COLUMN lead TEXT;
