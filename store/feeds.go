package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"herald/feeds"
)

// Who put a feed into a topic.
const (
	OriginConfig = "config" // config.yaml; kept in step with the file at start
	OriginCLI    = "cli"    // herald add, herald opml import
)

// FeedSpec names a feed to subscribe to and its topic. Title and SiteURL
// are optional (an OPML outline's text and htmlUrl).
type FeedSpec struct {
	URL, Title, Topic, SiteURL string
}

// Added says what subscribing to one feed changed.
type Added struct {
	ID        int64
	NewFeed   bool // the URL was not subscribed before
	NewTopic  bool // the feed joined the topic
	Reenabled bool // the feed had answered 410 Gone and is polled again
}

// SyncFeeds makes the feeds of the given origin exactly specs: it adds new
// feeds and topic memberships and drops memberships of that origin that are
// no longer listed. Feeds and items are never deleted here.
func (s *Store) SyncFeeds(ctx context.Context, origin string, specs []FeedSpec, now time.Time) error {
	return s.inTx(ctx, func(tx *txn) error {
		keep := map[[2]string]bool{}
		for _, sp := range specs {
			if _, err := s.addFeedTx(ctx, tx, sp, origin, now); err != nil {
				return err
			}
			keep[[2]string{sp.URL, sp.Topic}] = true
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT f.id, f.url, t.topic FROM feed_topics t
			JOIN feeds f ON f.id = t.feed_id WHERE t.origin = ?`), origin)
		if err != nil {
			return err
		}
		var stale [][2]any
		for rows.Next() {
			var id int64
			var url, topic string
			if err := rows.Scan(&id, &url, &topic); err != nil {
				rows.Close()
				return err
			}
			if !keep[[2]string{url, topic}] {
				stale = append(stale, [2]any{id, topic})
			}
		}
		rows.Close()
		for _, st := range stale {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM feed_topics WHERE feed_id = ? AND topic = ? AND origin = ?`),
				st[0], st[1], origin); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// AddFeed subscribes to url in topic and returns the feed. Adding a feed
// that is already there re-enables it (after a 410 Gone) and makes it due.
func (s *Store) AddFeed(ctx context.Context, sp FeedSpec, origin string, now time.Time) (feeds.Feed, error) {
	added, err := s.AddFeeds(ctx, []FeedSpec{sp}, origin, now)
	if err != nil {
		return feeds.Feed{}, err
	}
	return s.Feed(ctx, added[0].ID)
}

// AddFeeds is AddFeed for many feeds in one transaction (an OPML import):
// all of them are added, or none. It says, in order, what each changed.
func (s *Store) AddFeeds(ctx context.Context, specs []FeedSpec, origin string, now time.Time) ([]Added, error) {
	out := make([]Added, len(specs))
	err := s.inTx(ctx, func(tx *txn) error {
		for i, sp := range specs {
			a, err := s.addFeedTx(ctx, tx, sp, origin, now)
			if err != nil {
				return err
			}
			err = tx.scanRow(ctx, `UPDATE feeds SET disabled = 0, failures = 0, next_poll = 0
				WHERE id = ? AND disabled = 1 RETURNING id`, []any{a.ID}, &a.ID)
			switch {
			case err == nil:
				a.Reenabled = true
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("re-enable feed %s: %w", sp.URL, err)
			}
			out[i] = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// addFeedTx runs its statements through tx's prepared-statement cache:
// syncing 10,000 feeds from config.yaml at start runs them 10,000 times.
// A title or site given for a feed already there replaces a different
// title and fills an empty site; the same spec twice changes nothing.
func (s *Store) addFeedTx(ctx context.Context, tx *txn, sp FeedSpec, origin string, now time.Time) (Added, error) {
	a := Added{}
	err := tx.scanRow(ctx, `SELECT id FROM feeds WHERE url = ?`, []any{sp.URL}, &a.ID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// Instances starting together sync the same feeds: the one that
		// loses the race finds the winner's row.
		err = tx.scanRow(ctx, `INSERT INTO feeds (url, title, site_url, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (url) DO NOTHING RETURNING id`, []any{sp.URL, sp.Title, sp.SiteURL, ms(now)}, &a.ID)
		a.NewFeed = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.scanRow(ctx, `SELECT id FROM feeds WHERE url = ?`, []any{sp.URL}, &a.ID)
		}
	case err == nil && sp.Title != "":
		err = tx.exec(ctx, `UPDATE feeds SET title = ? WHERE id = ? AND title <> ?`, sp.Title, a.ID, sp.Title)
	}
	if err == nil && sp.SiteURL != "" && !a.NewFeed {
		err = tx.exec(ctx, `UPDATE feeds SET site_url = ? WHERE id = ? AND site_url = ''`, sp.SiteURL, a.ID)
	}
	if err != nil {
		return a, fmt.Errorf("add feed %s: %w", sp.URL, err)
	}
	var id int64
	err = tx.scanRow(ctx, `INSERT INTO feed_topics (feed_id, topic, origin) VALUES (?, ?, ?)
		ON CONFLICT (feed_id, topic) DO NOTHING RETURNING feed_id`, []any{a.ID, sp.Topic, origin}, &id)
	a.NewTopic = err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("add feed %s to topic %s: %w", sp.URL, sp.Topic, err)
	}
	return a, nil
}

const feedColumns = `f.id, f.url, f.title, f.site_url, f.etag, f.last_modified, f.last_poll, f.next_poll,
	f.last_status, f.last_error, f.failures, f.disabled, f.hints, f.listed_items, f.old_items, f.body_hash,
	f.entry_prints, (SELECT COUNT(*) FROM item_feeds i WHERE i.feed_id = f.id)`

// Feeds returns every feed that belongs to at least one topic, with its
// topics and item count, ordered by URL.
func (s *Store) Feeds(ctx context.Context) ([]feeds.Feed, error) {
	return s.queryFeeds(ctx, `SELECT `+feedColumns+` FROM feeds f
		WHERE EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id) ORDER BY f.url`)
}

// FeedPage returns limit feeds of the Feeds list from offset on, and how
// many there are in all: the item counts are read for that page only.
func (s *Store) FeedPage(ctx context.Context, offset, limit int) ([]feeds.Feed, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM feeds f
		WHERE EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id)`).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count feeds: %w", err)
	}
	list, err := s.queryFeeds(ctx, `SELECT `+feedColumns+` FROM feeds f
		WHERE EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id) ORDER BY f.url LIMIT ? OFFSET ?`, limit, offset)
	return list, total, err
}

// DueFeeds returns the enabled feeds of topic (every topic when topic is
// empty) whose next poll time has come.
func (s *Store) DueFeeds(ctx context.Context, topic string, now time.Time) ([]feeds.Feed, error) {
	return s.queryFeeds(ctx, `SELECT `+feedColumns+` FROM feeds f
		WHERE f.disabled = 0 AND f.next_poll <= ?
		AND EXISTS (SELECT 1 FROM feed_topics t WHERE t.feed_id = f.id AND (? = '' OR t.topic = ?))
		ORDER BY f.next_poll, f.id`, ms(now), topic, topic)
}

// FeedByURL returns the feed subscribed at url; an error wrapping
// ErrNotFound when there is none.
func (s *Store) FeedByURL(ctx context.Context, url string) (feeds.Feed, error) {
	fs, err := s.queryFeeds(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.url = ?`, url)
	if err != nil {
		return feeds.Feed{}, err
	}
	if len(fs) == 0 {
		return feeds.Feed{}, fmt.Errorf("feed %s: %w", url, ErrNotFound)
	}
	return fs[0], nil
}

// Feed returns one feed by id.
func (s *Store) Feed(ctx context.Context, id int64) (feeds.Feed, error) {
	fs, err := s.queryFeeds(ctx, `SELECT `+feedColumns+` FROM feeds f WHERE f.id = ?`, id)
	if err != nil {
		return feeds.Feed{}, err
	}
	if len(fs) == 0 {
		return feeds.Feed{}, fmt.Errorf("feed %d: %w", id, ErrNotFound)
	}
	return fs[0], nil
}

func (s *Store) queryFeeds(ctx context.Context, query string, args ...any) ([]feeds.Feed, error) {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("query feeds: %w", err)
	}
	var out []feeds.Feed
	for rows.Next() {
		var f feeds.Feed
		var lastPoll, nextPoll int64
		var hints string
		var prints []byte
		if err := rows.Scan(&f.ID, &f.URL, &f.Title, &f.SiteURL, &f.ETag, &f.LastModified, &lastPoll, &nextPoll,
			&f.LastStatus, &f.LastError, &f.Failures, &f.Disabled, &hints, &f.Listed, &f.Old, &f.BodyHash,
			&prints, &f.ItemCount); err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan feed: %w", err)
		}
		// Hints only tune politeness: unreadable ones are dropped, not fatal.
		_ = json.Unmarshal([]byte(hints), &f.Hints)
		f.Prints = decodePrints(prints)
		f.LastPoll, f.NextPoll = fromMS(lastPoll), fromMS(nextPoll)
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query feeds: %w", err)
	}
	return out, s.fillTopics(ctx, out)
}

// fewFeeds is the most feeds fillTopics looks up by id (well under both
// databases' limits on bind variables); for more it reads every row.
const fewFeeds = 500

func (s *Store) fillTopics(ctx context.Context, fs []feeds.Feed) error {
	if len(fs) == 0 {
		return nil
	}
	byID := make(map[int64]*feeds.Feed, len(fs))
	ids := make([]any, len(fs))
	for i := range fs {
		byID[fs[i].ID] = &fs[i]
		ids[i] = fs[i].ID
	}
	// A few feeds (one just added, a leased batch) read only their own
	// rows: reading every feed's topics for each made subscribing to
	// 10,000 feeds one by one take minutes.
	query := `SELECT feed_id, topic FROM feed_topics ORDER BY topic`
	if len(fs) <= fewFeeds {
		query = `SELECT feed_id, topic FROM feed_topics WHERE feed_id IN (` + placeholders(len(fs), 1) + `) ORDER BY topic`
	} else {
		ids = nil
	}
	rows, err := s.db.QueryContext(ctx, s.q(query), ids...)
	if err != nil {
		return fmt.Errorf("query feed topics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var topic string
		if err := rows.Scan(&id, &topic); err != nil {
			return fmt.Errorf("scan feed topic: %w", err)
		}
		if f := byID[id]; f != nil {
			f.Topics = append(f.Topics, topic)
		}
	}
	return rows.Err()
}
