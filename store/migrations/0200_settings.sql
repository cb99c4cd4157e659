-- Values Herald remembers between runs that are not data: e.g. the fetch
-- settings feeds were last polled with, so that a config change that may
-- fix failing feeds retries them at once.
CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
