package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	pmodel "github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/model"
)

const benchComponents = 20

// benchJourneys is the number of journeys compiled per op: 1,000 by
// default, EMAC_BENCH_JOURNEYS to compile fewer.
var benchJourneys = func() int {
	if n, err := strconv.Atoi(os.Getenv("EMAC_BENCH_JOURNEYS")); err == nil && n > 0 {
		return n
	}
	return 1000
}()

// benchShapes are the journey expressions of the benchmark, over c0…c19,
// mixing Series, Parallel, Cond, Race and Timeout; journey i uses shape
// i mod len(benchShapes).
var benchShapes = []string{
	"Series(c0, Parallel(c1, c2), Cond(0.7; c3, c4), Timeout(200ms; Race(c5, c6), c7), Series(c8, c9), " +
		"Parallel(c10, Race(c11, c12)), Cond(0.6; c13, Series(c14, c15)), Timeout(300ms; c16, c17), Race(c18, c19))",
	"Series(Race(c0, c1), c2, Timeout(150ms; Parallel(c3, c4), c5), Cond(0.9; Series(c6, c7), c8), " +
		"Parallel(c9, c10, c11), Series(c12, Race(c13, c14)), Cond(0.5; c15, c16), Timeout(250ms; c17, Race(c18, c19)))",
	"Series(c0, c1, Cond(0.8; Parallel(c2, c3), Race(c4, c5)), Timeout(400ms; Series(c6, c7), c8), " +
		"Race(Parallel(c9, c10), c11), Series(c12, c13), Parallel(c14, Cond(0.3; c15, c16)), Timeout(100ms; Race(c17, c18), c19))",
}

// benchIntent returns journey i as a JourneyIntent document: every
// component has inline availability, inline good/total telemetry and a
// latency law (Timeout needs one), and sits in one of 2 or 3 declared
// failure domains.
func benchIntent(i int) string {
	var sb strings.Builder
	domains := 2 + i%2
	fmt.Fprintf(&sb, `apiVersion: emac.dev/v1alpha1
kind: JourneyIntent
metadata: {name: bench%04d}
spec:
  objectives: {availability: {target: 0.99, window: 30d}}
  expr: %q
  components:
`, i, benchShapes[i%len(benchShapes)])
	for k := range benchComponents {
		n := i*benchComponents + k
		fmt.Fprintf(&sb, `    c%d:
      availability: %.4f
      failureDomains: [bench%04d/d%d]
      latency: {lognormal: {median: %dms, sigma: 0.5}}
      telemetry:
        good: 'sum(rate(x_total{c="%d",r="ok"}[5m]))'
        total: 'sum(rate(x_total{c="%d"}[5m]))'
`, k, 0.999-0.0001*float64(k%7), i, k%domains, 10+5*(k%9), n, n)
	}
	sb.WriteString("  failureDomains:\n    rules:\n")
	for d := range domains {
		fmt.Fprintf(&sb, "      - {name: bench%04d/d%d, kind: declared}\n", i, d)
	}
	return sb.String()
}

// benchLoad writes the journeys to a temporary directory once and loads
// them through the spec package as emac compile does.
func benchLoad(b *testing.B) []*model.Journey {
	b.Helper()
	dir := b.TempDir()
	for i := range benchJourneys {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("bench%04d.yaml", i)), []byte(benchIntent(i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	l, err := (&env{}).loadJourneys([]string{dir}, "")
	if err != nil {
		b.Fatal(err)
	}
	if l.diags.HasErrors() {
		b.Fatalf("bench journeys do not load: %v", l.diags.Err())
	}
	if len(l.journeys) != benchJourneys {
		b.Fatalf("loaded %d journeys, want %d", len(l.journeys), benchJourneys)
	}
	return l.journeys
}

// BenchmarkCompile1000Journeys compiles 1,000 journeys of 20 live
// components each in memory (every artifact of DESIGN §4: rules, promtool
// tests, PrometheusRule, Argo gate, OpenSLO, report); one op is all 1,000.
// It reports the rules and series the generated rule files hold per
// journey and per component.
//
//	go test ./internal/cli -run '^$' -bench Compile1000 -benchtime 1x -benchmem -timeout 30m
//
// One op of 1,000 journeys takes ~11 min on 2 cores (~0.7 s a journey,
// two thirds of it openslo.Allocate re-running the latency model through
// compute.Bounds); EMAC_BENCH_JOURNEYS=100 runs a tenth of it.
func BenchmarkCompile1000Journeys(b *testing.B) {
	journeys := benchLoad(b)
	var last []fileSet
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		last = last[:0]
		for _, j := range journeys {
			fs, _, err := compileJourney(j)
			if err != nil {
				b.Fatalf("journey %s: %v", j.Name, err)
			}
			last = append(last, fs)
		}
	}
	b.StopTimer()
	st := ruleStats(b, last)
	nj := float64(len(journeys))
	b.ReportMetric(float64(st.records)/nj, "recording/journey")
	b.ReportMetric(float64(st.alerts)/nj, "alerting/journey")
	b.ReportMetric(float64(st.records+st.alerts)/nj, "rules/journey")
	b.ReportMetric(float64(st.series)/nj, "series/journey")
	b.ReportMetric(float64(st.records+st.alerts)/nj/benchComponents, "rules/component")
	b.ReportMetric(float64(st.files)/nj, "files/journey")
	b.Logf("per journey (%d components): %.0f recording + %.0f alerting = %.0f rules, %.0f distinct recorded series; by record name: %s",
		benchComponents, float64(st.records)/nj, float64(st.alerts)/nj, float64(st.records+st.alerts)/nj,
		float64(st.series)/nj, st.byName(len(journeys)))
}

type benchStats struct {
	files, records, alerts, series int
	names                          map[string]int
}

// byName lists the recording rules per journey by metric name.
func (s benchStats) byName(journeys int) string {
	var keys []string
	for k := range s.names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%g", k, float64(s.names[k])/float64(journeys)))
	}
	return strings.Join(parts, " ")
}

// ruleStats parses every generated rules.yaml and counts recording and
// alerting rules and the distinct series the recording rules write (metric
// name plus label set: each recording rule yields one series, so this also
// checks no two rules write the same series).
func ruleStats(b *testing.B, all []fileSet) benchStats {
	b.Helper()
	st := benchStats{names: map[string]int{}}
	p := parser.NewParser(parser.Options{})
	for _, fs := range all {
		st.files += len(fs)
		data, ok := fs["prometheus/rules.yaml"]
		if !ok {
			b.Fatal("a journey has no prometheus/rules.yaml")
		}
		groups, errs := rulefmt.Parse(data, false, pmodel.LegacyValidation, p, slog.New(slog.DiscardHandler))
		if len(errs) > 0 {
			b.Fatalf("generated rules do not parse: %v", errs)
		}
		series := map[string]bool{}
		for _, g := range groups.Groups {
			for _, r := range g.Rules {
				if r.Record == "" {
					st.alerts++
					continue
				}
				st.records++
				st.names[r.Record]++
				keys := make([]string, 0, len(r.Labels))
				for k, v := range r.Labels {
					keys = append(keys, k+"="+v)
				}
				sort.Strings(keys)
				series[r.Record+"{"+strings.Join(keys, ",")+"}"] = true
			}
		}
		st.series += len(series)
	}
	return st
}
