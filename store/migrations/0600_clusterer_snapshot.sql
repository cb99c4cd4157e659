-- A snapshot of the deduplicator's clusterer (events.Clusterer), so that a
-- restart loads it and restores only the items placed after it instead of
-- re-reading and re-analysing the whole window (17 s for 120,000 items).
-- It lives in the database, not in a file, so that instances sharing a
-- PostgreSQL database share it. One snapshot is kept; it can always be
-- rebuilt from the items, so `herald copy` leaves it behind (store/copy.go).
--
-- clusterer_snapshot is its header, one row: the format and options it was
-- written with (key), the last placement number it includes (seq,
-- items.cluster_seq), how many parts and bytes it has, and its generation,
-- a number no other snapshot of this database had. Its content is in
-- clusterer_snapshot_parts, in chunks of about 1 MB numbered from 0. A
-- reader asks for the parts of the generation its header named, so a
-- snapshot replaced under it shows as parts gone, never as a mix of two.
CREATE TABLE clusterer_snapshot (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL,
    key        TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    parts      INTEGER NOT NULL,
    bytes      BIGINT NOT NULL
);
CREATE TABLE clusterer_snapshot_parts (
    generation BIGINT NOT NULL,
    part       INTEGER NOT NULL,
    data       {{BLOB}} NOT NULL,
    PRIMARY KEY (generation, part)
);
