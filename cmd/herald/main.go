// Command herald is a self-hosted news desk: it polls topic feeds, groups the
// stories that report the same event, and publishes briefings.
//
// main only sets up the signal context; run wires everything.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	endProfile, err := startProfile(os.Getenv)
	if err == nil {
		err = run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		endProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "herald:", err)
		os.Exit(1)
	}
}
