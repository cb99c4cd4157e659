-- Items pruned while their feed still lists them must not come back as
-- new: an undated item carries the time it was fetched, so it would pass
-- the retention cut on dates at every poll. The keys of pruned feed
-- memberships are kept (not their content) for as long as the feed lists
-- them: a poll that reads the document marks the keys it lists seen and
-- drops the others (store/pruned.go).
CREATE TABLE pruned_items (
    feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid    TEXT NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (feed_id, guid)
);
