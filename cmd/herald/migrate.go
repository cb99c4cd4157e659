package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"herald/store"
)

// cmdMigrate shows or applies the schema migrations. `herald run` applies
// them at start too; this command lets an operator look first, or migrate
// a shared PostgreSQL database once before starting many instances.
func cmdMigrate(ctx context.Context, e *env, args []string) error {
	fs := e.flags("migrate")
	if err := fs.Parse(args); err != nil {
		return flagErr(err)
	}
	action := fs.Arg(0)
	if fs.NArg() != 1 || (action != "status" && action != "up") {
		fs.Usage()
		return fmt.Errorf("migrate needs one action: status or up")
	}
	cfg, err := LoadConfig(e.configPath, e.getenv)
	if err != nil {
		return err
	}
	st, err := store.OpenUnmigrated(ctx, e.dsn(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	if action == "up" {
		applied, err := st.Migrate(ctx)
		for _, m := range applied {
			fmt.Fprintf(e.stdout, "applied %04d %s\n", m.Version, m.Name)
		}
		if err != nil {
			return err
		}
	}
	list, err := st.Migrations(ctx)
	if err != nil {
		return err
	}
	return printMigrations(e, st, list)
}

func printMigrations(e *env, st *store.Store, list []store.Migration) error {
	pending := 0
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tMIGRATION\tAPPLIED")
	for _, m := range list {
		applied := "pending"
		if !m.Applied.IsZero() {
			applied = m.Applied.Local().Format(time.DateTime)
		} else {
			pending++
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if pending > 0 {
		fmt.Fprintf(e.stdout, "%s database: %d pending; run `herald migrate up` (herald run also applies them)\n", st.Dialect(), pending)
	} else {
		fmt.Fprintf(e.stdout, "%s database: schema up to date\n", st.Dialect())
	}
	return nil
}
