package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/emac-dev/emac/internal/limits"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

type simulateFlags struct {
	journey     string
	samples     int
	seed        uint64
	correlation string
	format      string
	emit        string
	quirks      string
}

func newSimulateCmd(e *env) *cobra.Command {
	var f simulateFlags
	cmd := &cobra.Command{
		Use:   "simulate PATH...",
		Short: "Monte Carlo ground truth for a journey's availability and latency",
		Long: `simulate plays requests through the journey's operator tree, drawing every
call's outcome and latency from the leaf evidence, and reports the journey's
availability (with its standard error) and the objective's latency quantile
among successful requests. It shares no formulas with eval, so the two check
each other.

Correlation models for calls inside failure domains:
  independent   every call fails and is slow independently (the default)
  shared        Gaussian copula with rho=1: calls sharing all their domains
                fail together and are slow together
  rho=R         Gaussian copula with loading R in [0, 1]

Results are reproducible for a given --seed and --samples.

--emit-traces FILE writes, instead, the distributed traces of --samples
requests (default 20,000 then) in --format otlp (OTLP JSON lines, the
default), otlp-proto, jaeger or zipkin: a root server span of service
"gateway" named after the journey, a client span per call with the callee
in peer.service, a server span in the callee (none for external
dependencies) with its failure domains as resource attributes (zone/X ->
cloud.availability_zone, cluster/X -> k8s.cluster.name, node/X ->
k8s.node.name, region/X -> cloud.region, host/X -> host.name), cancelled
race losers, calls cut at deadlines, retries — the input 'emac discover'
must recover the journey from.

--quirks LIST (with --emit-traces) writes them as real instrumentation
does, LIST a comma-separated choice of (or "all"):
  nokinds         no span kinds
  nostatus        no span status; services record HTTP codes, gRPC codes or
                  nothing, the root an HTTP code (cut and cancelled calls keep
                  error.type)
  zipkin-shared   a call's server half shares its client half's span ID,
                  marked shared (use --format zipkin)
  duplicates      2 % of the requests written again 50 requests later
  async-cancel    cancelled spans close up to 2 ms after the deciding answer
  skew            services' clocks off by up to 25 ms
  shared-service  two components per service, as gRPC operations svcK/NAME
  loops           one component called 1-3 times in a row (where the tree allows)
  cooccur         two consecutive calls made together or not at all
The journey the traces follow (loops and cooccur change it) is printed.`,
		Example: `  emac simulate examples/checkout --samples 1000000 --seed 1
  emac simulate examples/checkout --samples 200000 --correlation rho=0.7 --format json
  emac simulate examples/checkout --emit-traces traces.jsonl --samples 20000
  emac simulate examples/checkout --emit-traces traces.json --format zipkin --quirks all`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.emit != "" && !cmd.Flags().Changed("samples") {
				f.samples = defaultTraceRequests
			}
			return e.runSimulate(args, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.journey, "journey", "", "the journey to simulate (needed when PATH holds several)")
	fl.IntVar(&f.samples, "samples", 1_000_000, "number of simulated requests")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	fl.StringVar(&f.correlation, "correlation", "independent", "independent, shared or rho=R")
	fl.StringVar(&f.format, "format", "text", "output format: text or json; with --emit-traces the trace format: otlp, otlp-proto, jaeger or zipkin")
	fl.StringVar(&f.emit, "emit-traces", "", "write the simulated requests' traces to this file")
	fl.StringVar(&f.quirks, "quirks", "", "with --emit-traces, habits of real instrumentation to reproduce: "+strings.Join(sim.QuirkNames, ", ")+" (comma-separated) or all")
	return cmd
}

// simulateOutput is the JSON contract of `emac simulate --format json`.
type simulateOutput struct {
	Journey            string         `json:"journey"`
	Samples            int            `json:"samples"`
	Availability       float64        `json:"availability"`
	AvailabilityStdErr float64        `json:"availabilityStdErr"`
	Latency            *simLatencyOut `json:"latency"`
}

type simLatencyOut struct {
	Quantile float64 `json:"quantile"`
	Seconds  float64 `json:"seconds"`
}

func (e *env) runSimulate(paths []string, f simulateFlags) error {
	traceFmt := ""
	if f.emit != "" {
		var err error
		if traceFmt, err = traceFormat(f.format); err != nil {
			return badInput(err)
		}
	} else if f.quirks != "" {
		return badInput(fmt.Errorf("--quirks needs --emit-traces"))
	} else if f.format != "text" && f.format != "json" {
		return badInput(fmt.Errorf("--format %q is not supported (want text or json)", f.format))
	}
	if f.samples < 1 {
		return badInput(fmt.Errorf("--samples must be at least 1"))
	}
	if err := e.checkSamples(f.samples); err != nil {
		return badInput(err)
	}
	corr, err := sim.ParseCorrelation(f.correlation)
	if err != nil {
		return badInput(fmt.Errorf("--correlation: %w", err))
	}
	j, err := e.loadOne(paths, f.journey)
	if err != nil {
		return err
	}
	if f.emit != "" {
		return e.emitTraces(j, f, corr, traceFmt)
	}
	start := time.Now()
	res, err := sim.Simulate(j, sim.Options{Samples: f.samples, Seed: f.seed, Correlation: corr,
		Progress: e.progress("simulating", f.samples)})
	if err != nil {
		return badInput(fmt.Errorf("journey %s: %w", j.Name, err))
	}
	fmt.Fprintf(e.stderr, "simulated %d requests of %s in %s (%s)\n", f.samples, j.Name, time.Since(start).Round(time.Millisecond), corr)
	out := simulateOutput{Journey: j.Name, Samples: res.Samples, Availability: res.Availability, AvailabilityStdErr: res.StdErr}
	if q := simQuantile(j); hasLatency(j) && res.Successes > 0 {
		out.Latency = &simLatencyOut{Quantile: q, Seconds: res.Quantile(q)}
	}
	if f.format == "json" {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	writeSimulateText(e.stdout, out, corr)
	return nil
}

// simBytesPerSample is what the simulator keeps per request: its latency,
// and as much again while merging the sorted runs.
const simBytesPerSample = 16

// checkSamples refuses more samples than the limit, or than this
// machine's memory can hold.
func (e *env) checkSamples(n int) error {
	if lim := e.limits.Or().Samples; n > lim {
		return &limits.Error{What: "--samples " + limits.Count(int64(n)), Limit: int64(lim), Unit: "requests", Flag: limits.FlagSamples}
	}
	need := uint64(n) * simBytesPerSample
	if have := physicalMemory(); have > 0 && need > have/2 {
		return fmt.Errorf("--samples %s needs %s of memory to keep the latencies; this machine has %s", limits.Count(int64(n)), bytesIEC(need), bytesIEC(have))
	}
	return nil
}

// bytesIEC renders a byte count for messages (e.g. "1.5 GiB").
func bytesIEC(b uint64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := uint64(unit), 0
	for n := b / unit; n >= unit && exp < 5; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTPE"[exp])
}

// loadOne loads the inputs and picks one journey.
func (e *env) loadOne(paths []string, name string) (*model.Journey, error) {
	l, err := e.loadJourneys(paths, "")
	if err != nil {
		return nil, badInput(err)
	}
	if err := e.reportDiags(l); err != nil {
		return nil, err
	}
	js, err := selectJourneys(l.journeys, name)
	if err != nil {
		return nil, badInput(err)
	}
	if len(js) != 1 {
		var names []string
		for _, j := range js {
			names = append(names, j.Name)
		}
		return nil, badInput(fmt.Errorf("%d journeys found (%v); choose one with --journey", len(js), names))
	}
	return js[0], nil
}

// simQuantile is the objective's quantile, or p99 without a latency objective.
func simQuantile(j *model.Journey) float64 {
	if j.Objective.Latency != nil {
		return j.Objective.Latency.Quantile
	}
	return 0.99
}

func hasLatency(j *model.Journey) bool {
	for _, c := range j.Components {
		if c.Latency != nil {
			return true
		}
	}
	return false
}

func writeSimulateText(w io.Writer, out simulateOutput, corr sim.Correlation) {
	fmt.Fprintf(w, "journey       %s\n", out.Journey)
	fmt.Fprintf(w, "samples       %d  (%s)\n", out.Samples, corr)
	fmt.Fprintf(w, "availability  %.8f ± %.8f (1 standard error)\n", out.Availability, out.AvailabilityStdErr)
	if out.Latency != nil {
		fmt.Fprintf(w, "latency       p%.6g = %.6gs among successful requests\n", out.Latency.Quantile*100, out.Latency.Seconds)
	}
}

// terminal returns stderr when it is a terminal, nil otherwise.
func (e *env) terminal() *os.File {
	f, ok := e.stderr.(*os.File)
	if !ok {
		return nil
	}
	if st, err := f.Stat(); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}

// progress returns a callback that reports progress on stderr when stderr
// is a terminal, and nil otherwise.
func (e *env) progress(what string, total int) func(done, total int) {
	f := e.terminal()
	if f == nil {
		return nil
	}
	return func(done, total int) {
		fmt.Fprintf(f, "\r%s %3.0f%%", what, 100*float64(done)/float64(total))
		if done == total {
			fmt.Fprint(f, "\r\033[K")
		}
	}
}
