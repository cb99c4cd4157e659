-- Scale-out: several Herald instances on one PostgreSQL database split the
-- polling by leasing due feeds. A lease names the instance polling the feed
-- and when another may take it over (Unix ms; 0 = not leased). Saving the
-- poll releases it.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE feeds ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX feeds_due ON feeds (next_poll) WHERE disabled = 0;

-- Every running instance says it is alive at each pass; the leader holds
-- the leader lock (clustering, digests). For `herald feeds` and /readyz.
CREATE TABLE instances (
    id         TEXT PRIMARY KEY,       -- hostname-pid-random
    started_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    leader     INTEGER NOT NULL DEFAULT 0
);
