package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"herald/digest"
	"herald/store"
)

// digestList is `herald digest list`: the outbox, newest first.
func digestList(ctx context.Context, e *env, args []string) error {
	fs := e.flags("digest")
	email := fs.String("subscriber", "", "only this subscriber's digests")
	status := fs.String("status", "", "only digests in this state: pending, sent, maybe_sent, failed, empty, cancelled")
	limit := fs.Int("limit", 50, "show at most this many, newest first")
	if err := parseFlags(fs, reorder(args)); err != nil {
		return flagErr(err)
	}
	statuses := []string{digest.StatusPending, digest.StatusSent, digest.StatusFailed, digest.StatusEmpty, digest.StatusCancelled}
	if *status != "" && !slices.Contains(statuses, *status) {
		return fmt.Errorf("--status %q is not a digest status: use one of %s", *status, strings.Join(statuses, ", "))
	}
	if *limit < 1 {
		return fmt.Errorf("--limit %d: give 1 or more", *limit)
	}
	_, _, st, err := e.setup(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rows, err := st.Digests(ctx, store.DigestFilter{Subscriber: *email, Status: *status, Limit: *limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSUBSCRIBER\tPERIOD END (UTC)\tSTATUS\tEVENTS\tATTEMPTS\tDETAIL")
	for _, d := range rows {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%s\n", d.ID, d.Subscriber, d.PeriodEnd.Format("2006-01-02 15:04"),
			d.Status, d.Events, d.Attempts, outboxDetail(d))
	}
	return tw.Flush()
}

func outboxDetail(d digest.Record) string {
	late := ""
	if d.Late {
		late = "late; "
	}
	switch d.Status {
	case digest.StatusSent:
		again := ""
		if d.Unconfirmed > 0 {
			again = " (sent again after an attempt the server did not answer: a copy may have arrived)"
		}
		return late + "sent " + d.SentAt.Format("2006-01-02 15:04:05") + " " + d.MessageID + again
	case digest.StatusPending:
		if d.LastError != "" {
			return late + "next attempt " + d.NextAttempt.Format("2006-01-02 15:04") + "; last error: " + d.LastError
		}
		return late + "waiting to be sent"
	case digest.StatusEmpty:
		return "nothing new in the period"
	}
	return late + d.LastError
}
