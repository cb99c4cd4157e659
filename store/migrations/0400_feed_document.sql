-- What the last document read of a feed held (issue 14): how many entries
-- it listed and how many of those were older than the retention period
-- (not stored), so that a feed whose every entry is old shows that instead
-- of looking empty; and a hash of the body with the settings it was read
-- with, so that the same body served again is not parsed again.
ALTER TABLE feeds ADD COLUMN listed_items INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN old_items INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feeds ADD COLUMN body_hash TEXT NOT NULL DEFAULT '';
