package cli

import (
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

// traceFormats are the formats --emit-traces writes.
var traceFormats = []string{"otlp", "otlp-proto", "jaeger", "zipkin"}

// defaultTraceRequests is --samples when traces are emitted and --samples
// was not given.
const defaultTraceRequests = 20_000

// emitTraces writes the traces of f.samples simulated requests of j to
// f.emit in format, atomically.
func (e *env) emitTraces(j *model.Journey, f simulateFlags, corr sim.Correlation, format string) error {
	start := time.Now()
	quirks, err := sim.ParseQuirks(f.quirks)
	if err != nil {
		return badInput(fmt.Errorf("--quirks: %w", err))
	}
	j = sim.ApplyShapeQuirks(j, quirks, f.seed)
	prog := e.progress("emitting traces", f.samples)
	var st sim.EmitStats
	err = writeFileWith(f.emit, func(out io.Writer) error {
		w, err := trace.NewWriter(out, format)
		if err != nil {
			return err
		}
		done := 0
		st, err = sim.EmitTraces(j, sim.EmitOptions{Requests: f.samples, Seed: f.seed, Correlation: corr, Quirks: quirks}, func(spans []trace.Span) error {
			done++
			if prog != nil && (done%1000 == 0 || done == f.samples) {
				prog(done, f.samples)
			}
			return w.Write(spans)
		})
		if err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		return fmt.Errorf("journey %s: emitting traces: %w", j.Name, err)
	}
	a := st.Availability()
	fmt.Fprintf(e.stderr, "wrote %d traces (%d spans) of %s to %s in %s (%s)\n", st.Requests, st.Spans, j.Name, f.emit, time.Since(start).Round(time.Millisecond), format)
	fmt.Fprintf(e.stdout, "journey       %s\nrequests      %d  (%s)\navailability  %.8f ± %.8f (1 standard error, realised in the traces)\ntraces        %s (%s, %d spans)\n",
		j.Name, st.Requests, corr, a, math.Sqrt(a*(1-a)/float64(st.Requests)), f.emit, format, st.Spans)
	if quirks != (sim.Quirks{}) {
		fmt.Fprintf(e.stdout, "quirks        %s\ntree          %s\n", quirks, j.Root)
		ids := sim.Identities(j, quirks)
		for _, name := range slices.Sorted(maps.Keys(ids)) {
			fmt.Fprintf(e.stdout, "component     %s = service %s, operation %s\n", name, ids[name].Service, ids[name].Operation)
		}
	}
	return nil
}

// traceFormat returns the trace format of --format when --emit-traces is
// given (text, the default, means otlp).
func traceFormat(f string) (string, error) {
	if f == "text" {
		return "otlp", nil
	}
	if !slices.Contains(traceFormats, f) {
		return "", fmt.Errorf("--format %q is not a trace format (want one of %v with --emit-traces)", f, traceFormats)
	}
	return f, nil
}
