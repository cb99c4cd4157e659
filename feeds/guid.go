package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// An item's identity: its guid when the feed gives a unique one, else
// keys built from its link, date and title, the same on every fetch.

// guidKeys are the facts an item's identity can be built from.
type guidKeys struct{ guid, url, date, title, text string }

// fallbackKeys are ever more specific identity keys for an item whose guid
// is missing or repeated: canonical URL, hash(URL, date), hash(URL, date,
// title). A key is "" when the part it adds is missing. The date is the
// feed's own, never the fetch time, so the keys are the same on every fetch.
func fallbackKeys(k guidKeys) []string {
	keys := []string{k.url, "", ""}
	if k.date != "" {
		keys[1] = hashKey(k.url, k.date)
	}
	if k.title != "" {
		keys[2] = hashKey(k.url, k.date, k.title)
	}
	return keys
}

// assignGUIDs gives each item its identity within the document: the feed's
// guid when present and unique here; otherwise its first fallback key that
// is unique among the fallback items. Items equal even then are the same
// entry repeated and share a GUID.
func assignGUIDs(items []Item, keys []guidKeys) {
	guids := map[string]int{}
	for _, k := range keys {
		guids[k.guid]++
	}
	pending := map[int][]string{} // item index -> its fallback keys
	counts := map[string]int{}    // keys in use; a key is unique at count 1
	for i, k := range keys {
		if k.guid != "" && guids[k.guid] == 1 {
			items[i].GUID = k.guid
			if len(k.guid) > maxGUIDLen {
				items[i].GUID = hashKey(k.guid)
			}
			counts[items[i].GUID]++ // a fallback URL may not take it
			continue
		}
		pending[i] = fallbackKeys(k)
		for _, key := range pending[i] {
			counts[key]++
		}
	}
	for i, fallbacks := range pending {
		items[i].GUID = lastResortKey(keys[i])
		for _, key := range fallbacks {
			if key != "" && counts[key] == 1 {
				items[i].GUID = key
				break
			}
		}
	}
}

// lastResortKey identifies an item whose every fallback key repeats. With
// no URL, date or title, only its text is left to tell it apart.
func lastResortKey(k guidKeys) string {
	if k.url == "" && k.date == "" && k.title == "" {
		return hashKey(k.text)
	}
	return hashKey(k.url, k.date, k.title)
}

// contentHash changes when an item's title, text or URL is edited.
func contentHash(title, text, url string) string {
	sum := sha256.Sum256([]byte(title + "\x00" + text + "\x00" + url))
	return hex.EncodeToString(sum[:16])
}

// hashKey turns a composite identity key into a compact stable string.
func hashKey(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "h:" + hex.EncodeToString(sum[:16])
}
