// Command emac derives journey SLOs from a declared journey and its
// evidence, and compiles them into control-plane artifacts.
//
// EMAC_CPUPROFILE=FILE writes a CPU profile of the run to FILE and
// EMAC_MEMPROFILE=FILE a profile of its allocations (go tool pprof reads
// both); scripts/bench-compile uses them.
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
	writeHeapProfile(os.Getenv("EMAC_MEMPROFILE"))
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

// writeHeapProfile writes the allocation profile of the run to path (none
// when path is empty).
func writeHeapProfile(path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "EMAC_MEMPROFILE:", err)
	}
}
