-- The web pages list a day's events (briefings, the front page): an index
-- on first_seen keeps that a range read as the history grows.
CREATE INDEX events_first_seen ON events (first_seen);
