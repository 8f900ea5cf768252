// Command groupbyservice rewrites trace files as per-service collectors
// export them: one OTLP JSON Lines file per service, each holding that
// service's spans of every trace in batches of -batch spans, so that the
// spans of one trace lie in as many files as services it crosses. It is
// the input of scripts/discover-grouped.
//
//	go run ./scripts/groupbyservice -o DIR FILE...
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

func main() {
	out := flag.String("o", "", "output directory (one SERVICE.jsonl per service)")
	batch := flag.Int("batch", 1000, "spans per resourceSpans line")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: groupbyservice -o DIR FILE...")
		os.Exit(2)
	}
	if err := run(*out, *batch, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "groupbyservice:", err)
		os.Exit(1)
	}
}

// sink is one service's output file and its pending batch.
type sink struct {
	f    *os.File
	bw   *bufio.Writer
	w    trace.Writer
	held []trace.Span
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

func run(dir string, batch int, files []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	sinks := map[string]*sink{}
	flush := func(s *sink) error {
		if len(s.held) == 0 {
			return nil
		}
		err := s.w.Write(s.held)
		s.held = s.held[:0]
		return err
	}
	_, err := trace.Read(files, trace.Options{}, func(_ string, sp *trace.Span) error {
		s := sinks[sp.Service]
		if s == nil {
			f, err := os.Create(filepath.Join(dir, unsafeName.ReplaceAllString(sp.Service, "_")+".jsonl"))
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			w, err := trace.NewWriter(bw, trace.FormatOTLP)
			if err != nil {
				return err
			}
			s = &sink{f: f, bw: bw, w: w}
			sinks[sp.Service] = s
		}
		s.held = append(s.held, *sp)
		if len(s.held) >= batch {
			return flush(s)
		}
		return nil
	})
	for _, s := range sinks {
		if e := flush(s); e != nil && err == nil {
			err = e
		}
		if e := s.w.Close(); e != nil && err == nil {
			err = e
		}
		if e := s.bw.Flush(); e != nil && err == nil {
			err = e
		}
		if e := s.f.Close(); e != nil && err == nil {
			err = e
		}
	}
	return err
}
