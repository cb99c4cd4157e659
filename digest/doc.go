// Package digest builds the briefings Herald sends its subscribers and
// delivers them exactly once.
//
// The core is pure: given a subscriber, a period and the candidate events,
// Build chooses and ranks what the digest lists; Render turns it into a
// complete RFC 5322 message (text and HTML alternatives, List-Unsubscribe
// with RFC 8058 one-click, a stable Message-ID). Schedule computes when a
// subscriber's periods end, in its time zone, across daylight-saving
// changes. NewToken and ParseToken sign the unsubscribe links.
//
// Desk is the delivery service: it renders due digests into an Outbox (the
// store satisfies it), claims them, hands each to its subscriber's
// Transport (package mail for email, package webhook for HTTP), retries
// with backoff and settles it, so that each (subscriber, period) is
// delivered once, across crashes and instances.
package digest
