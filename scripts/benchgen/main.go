// Command benchgen writes the inputs of emac's benchmark scripts
// (scripts/bench-compile, scripts/bench-prometheus, scripts/bench-eval):
// synthetic journeys,
// the Sloth specification of one SLO per leaf over the same series, and
// OpenMetrics samples of those series.
//
//	benchgen journeys -journeys 100 -leaves 10 -o DIR     # DIR/jNNNN.yaml, JourneyIntent
//	benchgen journeys -journeys 1 -leaves 1000 -components 300 -evidence counts -o DIR
//	                                                      # good/total counts, some latency histograms
//	benchgen sloth    -journeys 100 -leaves 10 -o FILE    # Sloth prometheus/v1 spec, one SLO per leaf
//	benchgen metrics  -journeys 100 -leaves 10 -hours 80 -o FILE
//	benchgen recorded -journeys 10 -leaves 10 -hours 720 -o FILE   # recorded series of both rule sets
//	benchgen serve    -journeys 10 -leaves 10 -start UNIX -o ADDR  # the counters, live, for Prometheus to scrape
//
// Every leaf c of journey j is served by the counter
// emac_bench_requests_total{journey="j",component="c",code="200"|"500"}:
// emac's good query selects code!~"5..", Sloth's error query code=~"5..",
// both totals every code. The journeys are random operator trees (seeded,
// so deterministic) mixing Series, Parallel, Cond, Race, KofN, Timeout and
// Retry, with leaves spread over a few failure domains.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchgen journeys|sloth|metrics [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	journeys := fs.Int("journeys", 100, "number of journeys")
	leaves := fs.Int("leaves", 10, "leaves per journey")
	pool := fs.Int("components", 0, "journeys: distinct components per journey, leaves reusing them (0: one per leaf)")
	seed := fs.Uint64("seed", 1, "random seed of the journey shapes")
	evidence := fs.String("evidence", "points", "journeys: leaf evidence, points (availability and lognormal latency laws) or counts (good/total counts, every third component a latency histogram)")
	out := fs.String("o", "", "output file or directory")
	hours := fs.Float64("hours", 80, "metrics: hours of samples, ending at -end")
	step := fs.Duration("step", 60e9, "metrics: scrape interval")
	end := fs.Int64("end", 0, "metrics, recorded: Unix time of the last sample (default: now, rounded down to the step)")
	start := fs.Int64("start", 0, "serve: Unix time at which every counter was 0 (the first preloaded sample)")
	slothStep := fs.Duration("sloth-step", 60e9, "recorded: interval of Sloth's recorded 5m ratios (its rule evaluation interval)")
	_ = fs.Parse(os.Args[2:])
	if *out == "" {
		fmt.Fprintln(os.Stderr, "benchgen: -o is required")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "journeys":
		if *evidence != "points" && *evidence != "counts" {
			err = fmt.Errorf("-evidence %q: want points or counts", *evidence)
			break
		}
		err = writeJourneys(*out, *journeys, *leaves, *pool, *seed, *evidence == "counts")
	case "sloth":
		err = writeSloth(*out, *journeys, *leaves)
	case "metrics":
		err = writeMetrics(*out, *journeys, *leaves, *hours, step.Seconds(), *end)
	case "recorded":
		err = writeRecorded(*out, *journeys, *leaves, *hours, slothStep.Seconds(), *end)
	case "serve":
		err = serve(*out, *journeys, *leaves, *start)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

func journeyName(i int) string { return fmt.Sprintf("j%04d", i) }

// selector is the counter selector of leaf c of journey j, with extra
// matchers.
func selector(j string, c int, extra string) string {
	return fmt.Sprintf(`emac_bench_requests_total{journey=%q,component="c%d"%s}`, j, c, extra)
}

// tree builds a random operator expression over leaves lo…hi-1; leaf i
// calls component comp[i].
type tree struct {
	rng  *rand.Rand
	comp []int
}

func (t tree) build(lo, hi int) string {
	n := hi - lo
	if n == 1 {
		return fmt.Sprintf("c%d", t.comp[lo])
	}
	// Split into 2..4 parts of random sizes.
	parts := min(n, 2+t.rng.IntN(3))
	if n > 12 {
		parts = min(n, 3+t.rng.IntN(6))
	}
	cuts := []int{lo}
	for i := 1; i < parts; i++ {
		cuts = append(cuts, lo+i*n/parts)
	}
	cuts = append(cuts, hi)
	kids := make([]string, parts)
	for i := range parts {
		kids[i] = t.build(cuts[i], cuts[i+1])
	}
	all := strings.Join(kids, ", ")
	switch r := t.rng.IntN(10); {
	case n > 40 || r < 3:
		return "Series(" + all + ")"
	case r < 4:
		return "Parallel(" + all + ")"
	case r < 5:
		return fmt.Sprintf("Cond(%s; %s)", condProbs(parts), all)
	case r < 6:
		return "Race(" + all + ")"
	case r < 7 && parts >= 3:
		return fmt.Sprintf("KofN(%d; %s)", parts-1, all)
	case r < 8 && parts == 2:
		return fmt.Sprintf("Timeout(%dms; %s)", 200+100*t.rng.IntN(4), all)
	case r < 9:
		return fmt.Sprintf("Series(Retry(2, %dms; %s), %s)", 300+100*t.rng.IntN(3), kids[0], strings.Join(kids[1:], ", "))
	}
	return "Series(" + all + ")"
}

// condProbs returns k−1 probabilities for k branches (the last implicit).
func condProbs(k int) string {
	ps := make([]string, k-1)
	for i := range ps {
		ps[i] = fmt.Sprintf("%.2f", 0.8/float64(k-1)*0.9)
	}
	return strings.Join(ps, ", ")
}

// domains is the number of failure domains of a journey.
func domains(leaves int) int { return max(2, min(8, leaves/5)) }

func intent(i, leaves, pool int, seed uint64, counts bool) string {
	name := journeyName(i)
	rng := rand.New(rand.NewPCG(seed, uint64(i)))
	if pool <= 0 || pool > leaves {
		pool = leaves
	}
	comp := make([]int, leaves)
	for l := range comp {
		comp[l] = l % pool
	}
	if pool < leaves {
		rng.Shuffle(leaves, func(a, b int) { comp[a], comp[b] = comp[b], comp[a] })
	}
	expr := tree{rng: rng, comp: comp}.build(0, leaves)
	var sb strings.Builder
	fmt.Fprintf(&sb, `apiVersion: emac.dev/v1alpha1
kind: JourneyIntent
metadata: {name: %s}
spec:
  objectives:
    availability: {target: 0.99, window: 30d}
    latency: {window: 30d, objective: {metric: p99, threshold: 2}}
  expr: %q
  components:
`, name, expr)
	nd := domains(pool)
	for c := range pool {
		avail, median := 0.9995-0.0001*float64(c%7), 10+5*(c%9)
		fmt.Fprintf(&sb, "    c%d:\n", c)
		switch {
		case !counts:
			fmt.Fprintf(&sb, "      availability: %.4f\n", avail)
		default:
			fmt.Fprintf(&sb, "      availability: {good: %d, total: %d}\n", int(math.Round(avail*countsTotal)), countsTotal)
		}
		fmt.Fprintf(&sb, "      failureDomains: [%s/zone%d]\n", name, c%nd)
		switch {
		case counts && c%3 == 2:
			fmt.Fprintf(&sb, "      latency: {histogram: %s}\n", histogram(float64(median)/1000, 0.5, countsTotal/10))
		default:
			fmt.Fprintf(&sb, "      latency: {lognormal: {median: %dms, sigma: 0.5}}\n", median)
		}
		fmt.Fprintf(&sb, `      telemetry:
        good: 'sum(rate(%s[5m]))'
        total: 'sum(rate(%s[5m]))'
`, selector(name, c, `,code!~"5.."`), selector(name, c, ""))
	}
	sb.WriteString("  failureDomains:\n    rules:\n")
	for d := range nd {
		fmt.Fprintf(&sb, "      - {name: %s/zone%d, kind: declared}\n", name, d)
	}
	return sb.String()
}

// countsTotal is the request count of every leaf's availability evidence
// with -evidence counts; a tenth of it is observed in a latency histogram.
const countsTotal = 200000

// histogram returns the flow-style histogram of n observations of a
// lognormal law (median m seconds, shape sigma) in Prometheus' default
// buckets, the last count the +Inf bucket.
func histogram(m, sigma float64, n int) string {
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}
	var b, c strings.Builder
	prev := 0
	for i, x := range bounds {
		cum := int(math.Round(float64(n) * 0.5 * math.Erfc(-math.Log(x/m)/(sigma*math.Sqrt2))))
		fmt.Fprintf(&b, "%s%g", sep(i), x)
		fmt.Fprintf(&c, "%s%d", sep(i), cum-prev)
		prev = cum
	}
	fmt.Fprintf(&c, ", %d", n-prev)
	return fmt.Sprintf("{bounds: [%s], counts: [%s]}", b.String(), c.String())
}

func sep(i int) string {
	if i == 0 {
		return ""
	}
	return ", "
}

func writeJourneys(dir string, n, leaves, pool int, seed uint64, counts bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, journeyName(i)+".yaml"), []byte(intent(i, leaves, pool, seed, counts)), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeSloth writes one Sloth prometheus/v1 spec with one SLO per leaf of
// every journey (service = journey), alerts as Sloth generates them by
// default.
func writeSloth(file string, n, leaves int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := range n {
		name := journeyName(i)
		if i > 0 {
			fmt.Fprintln(w, "---")
		}
		fmt.Fprintf(w, "version: \"prometheus/v1\"\nservice: %q\nslos:\n", name)
		for c := range leaves {
			fmt.Fprintf(w, `  - name: "c%d-availability"
    objective: 99.0
    description: "leaf c%d of %s"
    sli:
      events:
        error_query: 'sum(rate(%s[{{.window}}]))'
        total_query: 'sum(rate(%s[{{.window}}]))'
    alerting:
      name: BenchLeafHighErrorRate
      page_alert: {labels: {severity: page}}
      ticket_alert: {labels: {severity: ticket}}
`, c, c, name, selector(name, c, `,code=~"5.."`), selector(name, c, ""))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// leafRates returns the request rates per second of leaf c's code 200 and
// 500 counters: 10 requests a second, a fixed fraction of them failing.
func leafRates(c int) (ok, bad float64) {
	f := 0.0005 + 0.0001*float64(c%7)
	return 10 * (1 - f), 10 * f
}

// writeMetrics writes OpenMetrics samples of every leaf's two counters
// (code 200 and 500), one sample per step over hours ending at end, for
// `promtool tsdb create-blocks-from openmetrics`; every counter is 0 at
// the first sample, whose time it prints on stderr (serve's -start).
func writeMetrics(file string, n, leaves int, hours, step float64, end int64) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if end == 0 {
		end = nowUnix()
	}
	end -= end % int64(step)
	samples := int(hours * 3600 / step)
	start := float64(end) - float64(samples-1)*step
	fmt.Fprintln(os.Stderr, int64(start))
	fmt.Fprintln(w, "# TYPE emac_bench_requests counter")
	for i := range n {
		name := journeyName(i)
		for c := range leaves {
			ok, bad := leafRates(c)
			for _, s := range []struct {
				code string
				rate float64
			}{{"200", ok}, {"500", bad}} {
				for k := range samples {
					ts := start + float64(k)*step
					fmt.Fprintf(w, "emac_bench_requests_total{journey=%q,component=\"c%d\",code=%q} %g %d\n",
						name, c, s.code, s.rate*(ts-start), int64(ts))
				}
			}
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeRecorded writes OpenMetrics samples of the series the two rule
// sets record and read back over their SLO windows, as their rules would
// have recorded them over hours ending at end: emac's 5-minute tiles
// (component:emac_{good,total}_events:increase5m, every 5 minutes) and
// Sloth's 5-minute error ratios (slo:sli_error:ratio_rate5m, every
// slothStep), so that a freshly started Prometheus has their 30-day
// windows full.
func writeRecorded(file string, n, leaves int, hours, slothStep float64, end int64) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if end == 0 {
		end = nowUnix()
	}
	series := func(family, typ string, step float64, each func(i, c int, ts int64)) {
		fmt.Fprintf(w, "# TYPE %s %s\n", family, typ)
		last := end - end%int64(step)
		k := int(hours * 3600 / step)
		for i := range n {
			for c := range leaves {
				for s := k - 1; s >= 0; s-- {
					each(i, c, last-int64(s)*int64(step))
				}
			}
		}
	}
	for _, kind := range []string{"good", "total"} {
		family := "component:emac_" + kind + "_events:increase5m"
		series(family, "gauge", 300, func(i, c int, ts int64) {
			ok, bad := leafRates(c)
			v := 300 * (ok + bad)
			if kind == "good" {
				v = 300 * ok
			}
			fmt.Fprintf(w, "%s{component=\"c%d\",journey=%q} %g %d\n", family, c, journeyName(i), v, ts)
		})
	}
	series("slo:sli_error:ratio_rate5m", "gauge", slothStep, func(i, c int, ts int64) {
		ok, bad := leafRates(c)
		fmt.Fprintf(w, "slo:sli_error:ratio_rate5m{sloth_id=\"%s-c%d-availability\",sloth_service=%q,sloth_slo=\"c%d-availability\",sloth_window=\"5m\"} %g %d\n",
			journeyName(i), c, journeyName(i), c, bad/(ok+bad), ts)
	})
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// serve serves every leaf's counters in the Prometheus text format at
// addr, continuing the preloaded samples (0 at start).
func serve(addr string, n, leaves int, start int64) error {
	if start == 0 {
		start = nowUnix()
	}
	return http.ListenAndServe(addr, http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
		el := float64(time.Now().UnixMilli())/1000 - float64(start)
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w := bufio.NewWriter(rw)
		fmt.Fprintln(w, "# TYPE emac_bench_requests_total counter")
		for i := range n {
			for c := range leaves {
				ok, bad := leafRates(c)
				fmt.Fprintf(w, "emac_bench_requests_total{journey=%q,component=\"c%d\",code=\"200\"} %g\n", journeyName(i), c, ok*el)
				fmt.Fprintf(w, "emac_bench_requests_total{journey=%q,component=\"c%d\",code=\"500\"} %g\n", journeyName(i), c, bad*el)
			}
		}
		_ = w.Flush()
	}))
}

func nowUnix() int64 { return time.Now().Unix() }
