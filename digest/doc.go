// Package digest builds the briefings Herald mails to its subscribers.
//
// The core is pure: given a subscriber, a period and the candidate events,
// Build chooses and ranks what the digest lists; Render turns it into a
// complete RFC 5322 message (text and HTML alternatives, List-Unsubscribe
// with RFC 8058 one-click, a stable Message-ID). Schedule computes when a
// subscriber's periods end, in its time zone, across daylight-saving
// changes. NewToken and ParseToken sign the unsubscribe links. The only I/O
// is Mailer, a thin SMTP client; the outbox that makes delivery exactly
// once per (subscriber, period) lives in the store and the daemon.
package digest
