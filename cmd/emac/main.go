// Command emac derives journey SLOs from a declared journey and its
// evidence, and compiles them into control-plane artifacts.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/emac-dev/emac/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
