-- Every id Herald hands out is unique for the life of the database: event
-- ids derive from the founding item's id, feed readers and digests
-- remember events by those ids, and digests compare placement numbers.
-- SQLite reused the largest rowid once its row was pruned; from here on
-- its id columns are AUTOINCREMENT (rebuilt by this migration's Go step,
-- store/ids.go), and PostgreSQL's identity columns never went back.
--
-- sequences holds the other numbers handed out in order: cluster_seq is
-- the deduplicator's placement number (items.cluster_seq), which used to
-- restart from the largest one left after a prune. A name gets its row
-- when first used (a new database's table is empty, so `herald copy` can
-- fill it); an existing database starts from the largest number it holds.
CREATE TABLE sequences (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO sequences (name, value)
SELECT 'cluster_seq', MAX(v) FROM (
    SELECT COALESCE(MAX(cluster_seq), 0) AS v FROM items
    UNION ALL SELECT COALESCE(MAX(through_seq), 0) FROM digests
) AS seen
HAVING MAX(v) > 0;
