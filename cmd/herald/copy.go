package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"

	"herald/store"
)

// cmdCopy moves an installation from one database to another, typically
// from the SQLite file to a PostgreSQL database before scaling out. Stop
// Herald first: rows written during the copy would not be copied.
func cmdCopy(ctx context.Context, e *env, args []string) error {
	fs := e.flags("copy")
	from := fs.String("from", "", "source database: sqlite:FILE (or a postgres:// URL)")
	to := fs.String("to", "", "destination database, empty: a postgres:// URL (or sqlite:FILE)")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("copy needs --from and --to")
	}
	src, err := store.Open(ctx, *from)
	if err != nil {
		return fmt.Errorf("copy from: %w", err)
	}
	defer src.Close()
	dst, err := store.Open(ctx, *to)
	if err != nil {
		return fmt.Errorf("copy to: %w", err)
	}
	defer dst.Close()
	counts, err := store.Copy(ctx, src, dst)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tROWS\t")
	var total int64
	for _, c := range counts {
		fmt.Fprintf(tw, "%s\t%d\t\n", c.Table, c.Rows)
		total += c.Rows
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %d rows into the %s database; row counts verified table by table.\n"+
		"Point `storage` (or HERALD_DATABASE_URL) at it and start Herald.\n", total, dst.Dialect())
	return nil
}
