-- Digests group their events by storyline: each listed event records the
-- storyline it was listed under and the heading shown, so that a later
-- digest continues a storyline under the same heading.
ALTER TABLE digest_events ADD COLUMN storyline_id TEXT NOT NULL DEFAULT '';
ALTER TABLE digest_events ADD COLUMN heading TEXT NOT NULL DEFAULT '';
