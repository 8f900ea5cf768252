// Command emac derives journey SLOs from a declared journey and its
// evidence, and compiles them into control-plane artifacts.
//
// EMAC_CPUPROFILE=FILE writes a CPU profile of the run to FILE (go tool
// pprof reads it); scripts/bench-compile uses it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/emac-dev/emac/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	stopProfile := profile(os.Getenv("EMAC_CPUPROFILE"))
	code := cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// profile starts a CPU profile into path (none when path is empty) and
// returns the function that stops it.
func profile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "EMAC_CPUPROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
