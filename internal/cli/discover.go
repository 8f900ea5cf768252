package cli

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/emac-dev/emac/internal/evidence/infer"
	"github.com/emac-dev/emac/internal/evidence/infra"
	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/limits"
)

type discoverFlags struct {
	traces        []string
	k8s, mesh     []string
	journey, name string
	output        string
	format        string
	window        int
	windowSet     bool // --window given: stream through a sliding window
	allowSplit    bool
	spillDir      string
	groupBy       string
	cluster       string
}

func newDiscoverCmd(e *env) *cobra.Command {
	var f discoverFlags
	cmd := &cobra.Command{
		Use:   "discover --traces F... [--k8s DIR] [--mesh DIR] [--journey OP] -o MODEL",
		Short: "Propose a journey model from traces, Kubernetes manifests and Istio routing",
		Long: `discover reads distributed traces — OTLP JSON or protobuf, Jaeger JSON,
Zipkin v2 JSON; files or directories, gzip or zstd accepted, the format
detected from the content — groups them into traces with bounded memory,
and infers the journey rooted at the spans of operation OP: its operator
tree (series, parallel, conditional branches with their probabilities,
races and hedges, k-of-n, timeouts with fallback, retries), each
component's success counts and latency histogram as its caller saw them,
and failure-domain hypotheses from resource attributes (zone, region,
cluster, node, host) and shared downstream dependencies. --k8s adds
hypotheses from Deployments and StatefulSets (zone/node pinning,
nodeSelector, affinity, spread constraints, namespaces); --mesh reads
Istio VirtualServices (weights, timeouts, retries) and DestinationRules
as routing evidence. Every element carries a confidence and its
provenance (sources, trace counts, example trace IDs, time window).

Components are operations: SERVICE.OPERATION (the operation from
rpc.service/rpc.method, http.route, db.operation or the span name), with
service and operation kept as fields and, where the attributes allow, the
PromQL a span-metrics connector would give (telemetry); --group-by service
folds a service's operations into one component. A component's good/total
counts failures from span status (OTLP status, otel.status_code, Jaeger
error=true, Zipkin error tag), HTTP 5xx and gRPC codes; when an instance
records none of these and stops before a step the tree requires, it counts
as a failure of the last call it made (truncation), never as a skipped
branch. Its failureEvidence says which method gave the counts. A race
loser whose cancelled span closes a little after the winner's answer
(asynchronous cancellation) is still a race loser: the tolerance is learnt
from the data and stated in spec.confidence.notes, with the other notes of
inference (span kinds inferred when absent, duplicates dropped, calls
without client spans). Optional calls always made together are one Cond
branch, and a Cond's probability is among the instances that reached it.
--k8s and --mesh findings that do not become domains or edges are listed
in spec.notes, each with its kind, FILE:LINE and components: objects that
resolve to no component, faults, header matches, conflicting routes,
DestinationRule policies, weights that do not sum to 100, declared splits
the traces contradict.

Traces are grouped whole whatever the order of the files (by trace, by
service, hours apart): spans are encoded compactly and spilled to
--spill-dir beyond 64 MiB, so no trace is ever split. --window streams
through a sliding window of spans instead (no disk); a trace whose
spans lie further apart is split, and then no model is written (exit 2)
unless --allow-split, which writes it from the pieces with a note.

OP is "SERVICE OPERATION" or an operation name alone; it selects the
sub-trees rooted at spans of that operation wherever they occur. Without
--journey the candidate journeys are listed.

The model is written to -o MODEL (atomically) as a DiscoveredJourneyModel;
compare it with the accepted one with 'emac diff PATH --model MODEL'.
Malformed input stops with file and position; individual bad spans are
skipped and counted; a span read again (the same trace and span IDs, as
at-least-once export repeats batches) is dropped, counted and noted. Input
that is none of the formats stops at once; input that yields no spans, or a
journey whose instances make no calls, is refused with the reason (the
format each file was read as; missing kinds, parents or client spans).
Memory: the reader streams (one OTLP resourceSpans element, Jaeger trace
or Zipkin span at a time) and grouping holds 64 MiB of spans; the journey
instances are kept for inference, a few hundred bytes each, and inference
takes about 1.5 kB an instance at its peak (0.7 GiB for the 500,000
requests of 1 GiB of checkout traces), under a soft limit of 512 MiB
(GOMEMLIMIT overrides it). Every input is bounded: each trace file by
--max-trace-bytes after decompression, each trace by
--max-spans-per-trace, each manifest or mesh file by --max-file-bytes, the
journey's distinct components by --max-components; going over one stops
with a message naming it. Exit 0 when the model (or the list) was
produced, 2 on bad input.`,
		Example: `  emac simulate examples/checkout --emit-traces traces.jsonl
  emac discover --traces traces.jsonl
  emac discover --traces traces.jsonl --journey "gateway checkout" -o discovered.yaml
  emac discover --traces /var/traces/ --k8s deploy/ --mesh istio/ --journey checkout -o model.yaml`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			// "--traces a.json b.json": the shell leaves b.json as an
			// argument; every argument is one more trace input.
			f.traces = append(f.traces, args...)
			f.windowSet = cmd.Flags().Changed("window")
			return e.runDiscover(f)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.traces, "traces", nil, "trace files or directories (repeatable, comma-separated)")
	fl.StringSliceVar(&f.k8s, "k8s", nil, "Kubernetes manifest files or directories")
	fl.StringSliceVar(&f.mesh, "mesh", nil, "Istio configuration files or directories")
	fl.StringVar(&f.journey, "journey", "", `the journey's root operation: "SERVICE OPERATION" or OPERATION`)
	fl.StringVar(&f.name, "name", "", "metadata.name of the model (default: the operation)")
	fl.StringVarP(&f.output, "output", "o", "", "write the DiscoveredJourneyModel here (default: standard output)")
	fl.StringVar(&f.format, "input-format", "", "force the trace format: otlp, otlp-proto, jaeger or zipkin (default: detect from the content)")
	fl.IntVar(&f.window, "window", trace.DefaultWindow, "stream through a sliding window of this many spans instead of grouping whole traces: a trace is taken as complete when none of its spans came in this many (less memory and disk, but traces spread further apart are split)")
	fl.BoolVar(&f.allowSplit, "allow-split", false, "write a model even when --window split traces (their pieces are read as separate, incomplete traces)")
	fl.StringVar(&f.spillDir, "spill-dir", "", "directory for the temporary files of trace grouping when the input does not fit in memory (default: the system's temporary directory)")
	fl.StringVar(&f.groupBy, "group-by", "operation", "component identity: operation (SERVICE.OPERATION, one component per operation) or service (operations of one service folded together)")
	fl.StringVar(&f.cluster, "cluster", "", "cluster name of the --k8s manifests (adds a cluster/NAME domain)")
	return cmd
}

// discoverMemoryLimit is discover's soft memory limit unless GOMEMLIMIT
// is set: the reader streams, but the journey instances are kept for
// inference (a few hundred bytes each), and without a limit the garbage
// collector lets the heap grow to twice the live data.
const discoverMemoryLimit = 512 << 20

func (e *env) runDiscover(f discoverFlags) error {
	lim := e.limits.Or()
	if err := checkDiscoverFlags(f); err != nil {
		return badInput(err)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(discoverMemoryLimit))
	}
	ev, err := readInfra(f, lim)
	if err != nil {
		return badInput(err)
	}
	e.warnInfra(ev)
	b := infer.NewBuilder(infer.Options{Journey: f.journey, MaxComponents: lim.Components, GroupBy: f.groupBy})
	if err := e.readTraces(f, lim, b); err != nil {
		return badInput(err)
	}
	if f.journey == "" {
		cs := b.Candidates()
		if len(cs) == 0 {
			return badInput(fmt.Errorf("no trace with a root span was read from %s: no journey to propose", strings.Join(f.traces, ", ")))
		}
		fmt.Fprint(e.stdout, candidatesText(cs))
		return nil
	}
	m, err := b.Model()
	if err != nil {
		return badInput(err)
	}
	return e.writeModel(f, m, ev)
}

// checkDiscoverFlags refuses flag values that make no sense (the limits
// are checked for every command by the root).
func checkDiscoverFlags(f discoverFlags) error {
	if len(f.traces) == 0 {
		return errors.New("discover needs --traces FILE or DIR")
	}
	if f.window < 1 {
		return fmt.Errorf("--window must be at least 1, got %d", f.window)
	}
	if f.groupBy != infer.GroupByOperation && f.groupBy != infer.GroupByService {
		return fmt.Errorf("--group-by must be %s or %s, got %q", infer.GroupByOperation, infer.GroupByService, f.groupBy)
	}
	return nil
}

// readTraces reads the traces into b — grouped whole (spilling to disk
// beyond the memory bound), or through a sliding window with --window —
// and reports what was read on stderr. Traces split by the window stop
// the command unless --allow-split.
func (e *env) readTraces(f discoverFlags, lim limits.Limits, b *infer.Builder) error {
	start := time.Now()
	opts := trace.Options{Format: f.format, MaxBytes: lim.TraceBytes, Progress: e.byteProgress("reading traces")}
	var st trace.Stats
	var err error
	var traces, dups, reopened int
	var spilled int64
	if f.windowSet {
		src := ""
		asm := trace.NewAssembler(f.window, func(spans []trace.Span) error {
			b.Add(src, spans)
			return nil
		})
		asm.LimitSpans(lim.SpansPerTrace)
		st, err = trace.Read(f.traces, opts, func(file string, s *trace.Span) error {
			src = file
			return asm.Add(s)
		})
		if err == nil {
			err = asm.Close()
		}
		as := asm.Stats()
		traces, dups, reopened = as.Traces, as.Duplicates, as.Reopened
	} else {
		g := trace.NewGrouper(trace.GroupOptions{Dir: f.spillDir})
		g.LimitSpans(lim.SpansPerTrace)
		st, err = trace.Read(f.traces, opts, g.Add)
		if err == nil {
			err = g.Close(func(src string, spans []trace.Span) error {
				b.Add(src, spans)
				return nil
			})
		}
		g.Discard()
		gs := g.Stats()
		traces, dups, spilled = gs.Traces, gs.Duplicates, gs.Spilled
	}
	if errors.Is(err, trace.ErrNotTraces) && f.format == "" {
		err = fmt.Errorf("%w; force a format with --input-format", err)
	}
	if err != nil {
		return err
	}
	for _, w := range st.Warnings {
		fmt.Fprintf(e.stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(e.stderr, "read %d spans from %d files (%d skipped) into %d traces in %s%s\n",
		st.Spans, st.Files, st.Skipped, traces, time.Since(start).Round(time.Millisecond), spillNote(spilled))
	if dups > 0 {
		fmt.Fprintf(e.stderr, "warning: dropped %d duplicate spans (trace and span IDs read before, as at-least-once export repeats them)\n", dups)
		b.NoteDuplicates(dups)
	}
	if reopened > 0 {
		// The assembler recognises a split trace only while it remembers
		// the trace's flushed ID: the count is a lower bound.
		msg := fmt.Sprintf("at least %d traces were split because their spans lay more than --window %d spans apart (%d pieces handed on)", reopened, f.window, traces)
		if !f.allowSplit {
			return fmt.Errorf("%s: a model from their pieces would be wrong; leave out --window to group whole traces (spilling to disk when they do not fit in memory), raise it, or pass --allow-split", msg)
		}
		fmt.Fprintf(e.stderr, "warning: %s; the model is built from their pieces (--allow-split)\n", msg)
		b.NoteSplit(reopened)
	}
	return noSpans(f.traces, st)
}

// spillNote says how much was spilled to disk, if anything.
func spillNote(n int64) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d MB spilled to disk while grouping)", n>>20)
}

// noSpans explains an input that held no spans: no files, or files of
// the formats named that held none (or only invalid ones).
func noSpans(paths []string, st trace.Stats) error {
	where := strings.Join(paths, ", ")
	switch {
	case st.Files == 0:
		return fmt.Errorf("no trace files under %s (directories are searched for regular files, hidden ones left out)", where)
	case st.Spans > 0:
		return nil
	}
	var formats []string
	for _, f := range slices.Sorted(maps.Keys(st.Formats)) {
		n, files := st.Formats[f], "files"
		if n == 1 {
			files = "file"
		}
		if f == "" {
			formats = append(formats, fmt.Sprintf("%d empty %s", n, files))
		} else {
			formats = append(formats, fmt.Sprintf("%d %s read as %s", n, files, f))
		}
	}
	msg := fmt.Sprintf("no spans were read from %s (%s)", where, strings.Join(formats, ", "))
	if st.Skipped > 0 {
		msg += fmt.Sprintf("; all %d spans were skipped as invalid (see the warnings)", st.Skipped)
	}
	return errors.New(msg)
}

// writeModel writes the model to -o (atomically) or standard output.
func (e *env) writeModel(f discoverFlags, m *infer.Model, ev infra.Evidence) error {
	name := f.name
	if name == "" {
		name = dnsLabel(m.Journey)
	}
	data, err := discoveredModel(name, m, ev)
	if err != nil {
		return err
	}
	if f.output == "" {
		_, err = e.stdout.Write(data)
		return err
	}
	if err := writeFileAtomically(f.output, data); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: %s (confidence %.2f, %d traces)\n", f.output, shorten(m.Root.String(), 200), m.Confidence, m.Traces)
	return nil
}

// dnsLabel turns an operation name into a DNS-1123 label (what a journey
// name must be): lower case, runs of other characters as one '-', at
// most 63 characters; "journey" when nothing is left.
func dnsLabel(op string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(op) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], "-")
	}
	if s == "" {
		return "journey"
	}
	return s
}

// shorten cuts s to about n bytes (at a rune boundary) with an ellipsis.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// byteProgress returns a progress callback in bytes for a terminal
// stderr, nil otherwise.
func (e *env) byteProgress(what string) func(done, total int64) {
	f := e.terminal()
	if f == nil {
		return nil
	}
	return func(done, total int64) {
		if total > 0 {
			fmt.Fprintf(f, "\r%s %3.0f%% (%d MB)", what, 100*float64(done)/float64(total), done>>20)
		} else {
			fmt.Fprintf(f, "\r%s %d MB", what, done>>20)
		}
		if total > 0 && done >= total {
			fmt.Fprint(f, "\r\033[K")
		}
	}
}
