package sim_test

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/spec/spectest"
)

// emitted is one emitted trace, parsed and checked against the generic
// conventions by parseTrace.
type emitted struct {
	root  trace.Span
	calls []emittedCall // in start order
}

// emittedCall is a client span of the gateway and its server span, if any.
// Times are seconds after the root started.
type emittedCall struct {
	peer       string
	client     trace.Span
	server     *trace.Span
	start, end float64
	errType    string
}

func (r emitted) seconds(ns int64) float64 { return float64(ns-r.root.Start) / 1e9 }

// rootEnd is the root span's end in seconds after its start.
func (r emitted) rootEnd() float64 { return r.seconds(r.root.End) }

func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == "" && strings.Trim(s, "0") != ""
}

// parseTrace checks the conventions every trace follows (root first, then
// start order; client spans children of the root; server spans children
// of client spans; well-formed unique IDs) and groups the spans by call.
func parseTrace(spans []trace.Span) (emitted, error) {
	if len(spans) == 0 {
		return emitted{}, errors.New("empty trace")
	}
	r := emitted{root: spans[0]}
	if r.root.Kind != trace.KindServer || r.root.Service != "gateway" || r.root.ParentID != "" ||
		r.root.Resource[trace.AttrServiceName] != "gateway" || r.root.End < r.root.Start {
		return r, fmt.Errorf("bad root %+v", r.root)
	}
	byID := map[string]int{}
	for i, s := range spans {
		if !isHex(s.TraceID, 32) || s.TraceID != r.root.TraceID || !isHex(s.SpanID, 16) {
			return r, fmt.Errorf("span %d: bad IDs %q %q", i, s.TraceID, s.SpanID)
		}
		if _, dup := byID[s.SpanID]; dup {
			return r, fmt.Errorf("span %d: duplicate span ID", i)
		}
		byID[s.SpanID] = -1
		if i > 1 && s.Start < spans[i-1].Start {
			return r, fmt.Errorf("span %d starts before span %d", i, i-1)
		}
	}
	for _, s := range spans[1:] {
		if s.Kind != trace.KindClient {
			continue
		}
		if s.ParentID != r.root.SpanID || s.Service != "gateway" || s.End < s.Start || s.Start < r.root.Start ||
			s.End > r.root.End || s.Name != "call "+s.Attrs[trace.AttrPeerService] {
			return r, fmt.Errorf("bad client span %+v", s)
		}
		et := s.Attrs[trace.AttrErrorType]
		if s.Error != (et != "") {
			return r, fmt.Errorf("client span error %v with error.type %q", s.Error, et)
		}
		byID[s.SpanID] = len(r.calls)
		r.calls = append(r.calls, emittedCall{peer: s.Attrs[trace.AttrPeerService], client: s,
			start: r.seconds(s.Start), end: r.seconds(s.End), errType: et})
	}
	for i := range spans[1:] {
		s := &spans[1+i]
		if s.Kind == trace.KindClient {
			continue
		}
		k, ok := byID[s.ParentID]
		if s.Kind != trace.KindServer || !ok || k < 0 || r.calls[k].server != nil {
			return r, fmt.Errorf("span %+v is neither a client span nor the one server span of a client", s)
		}
		if c := &r.calls[k]; s.Service != c.peer || s.Name != c.peer || s.End < s.Start {
			return r, fmt.Errorf("bad server span %+v of %s", s, c.peer)
		}
		r.calls[k].server = s
	}
	return r, nil
}

// emitAll emits a journey and parses every trace.
func emitAll(t *testing.T, j *model.Journey, opts sim.EmitOptions) ([]emitted, sim.EmitStats) {
	t.Helper()
	var out []emitted
	spans := 0
	st, err := sim.EmitTraces(j, opts, func(ss []trace.Span) error {
		spans += len(ss)
		r, err := parseTrace(ss)
		if err != nil {
			return fmt.Errorf("trace %d: %w", len(out), err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != opts.Requests || len(out) != opts.Requests || st.Spans != spans {
		t.Fatalf("stats %+v for %d traces of %d spans", st, len(out), spans)
	}
	return out, st
}

// TestEmitMatchesSimulate compares the emitted journey availability and
// the p50/p99 of successful root spans with sim.Simulate. The emitted
// latency is the simulated one plus the Series gaps, at most maxGap in
// total, so the emitted p-quantile q must satisfy
// F(q) ≥ p − tol and F(q − maxGap) ≤ p + tol for Simulate's CDF F, tol
// being 4.5 standard errors of both estimates.
func TestEmitMatchesSimulate(t *testing.T) {
	checkout := spectest.LoadOne(t, "../../examples/checkout")
	small := latJourney(&journey.Series{Steps: []journey.Node{leaf("x"),
		&journey.KofN{K: 2, Branches: []journey.Node{leaf("p"), leaf("q"), leaf("ln")}},
		&journey.Retry{Attempts: 3, PerTryTimeout: 0.15, Backoff: 0.01, Target: leaf("y")}}})
	// p and q share domain "net"; under ρ = 1 the retries of z all fail
	// together.
	shared := latJourney(series(race(0, leaf("p"), leaf("q")),
		&journey.Retry{Attempts: 3, PerTryTimeout: 1, Target: leaf("z")}))
	tests := []struct {
		name   string
		j      *model.Journey
		corr   sim.Correlation
		maxGap float64
	}{
		{"race retry shared", shared, sim.Gaussian(1), 0.2e-3},
		{"checkout independent", checkout, sim.Independent(), 0.4e-3},
		{"checkout shared", checkout, sim.Gaussian(1), 0.4e-3},
		{"kofn retry rho 0.5", small, sim.Gaussian(0.5), 0.4e-3},
	}
	const requests, samples = 20_000, 400_000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := sim.Simulate(tc.j, sim.Options{Samples: samples, Seed: 1, Correlation: tc.corr})
			if err != nil {
				t.Fatal(err)
			}
			traces, st := emitAll(t, tc.j, sim.EmitOptions{Requests: requests, Seed: 2, Correlation: tc.corr})
			var lat []float64
			for _, r := range traces {
				if !r.root.Error {
					lat = append(lat, r.rootEnd())
				}
			}
			if len(lat) != st.Successes {
				t.Fatalf("%d successful roots, stats say %d", len(lat), st.Successes)
			}
			a := st.Availability()
			se := math.Hypot(math.Sqrt(a*(1-a)/requests), want.StdErr)
			if z := math.Abs(a-want.Availability) / se; z > 4.5 {
				t.Errorf("availability %.5f, Simulate %.5f (%.1f se)", a, want.Availability, z)
			}
			slices.Sort(lat)
			for _, p := range []float64{0.5, 0.99} {
				q := lat[int(math.Ceil(p*float64(len(lat))))-1]
				tol := 4.5 * math.Sqrt(p*(1-p)) * (1/math.Sqrt(float64(len(lat))) + 1/math.Sqrt(float64(want.Successes)))
				if lo, hi := want.CDF(q), want.CDF(q-tc.maxGap); lo < p-tol || hi > p+tol {
					t.Errorf("p%g = %.2f ms: Simulate's CDF there %.4f, %.2f ms before %.4f; want %g ± %.4f",
						100*p, q*1e3, lo, tc.maxGap*1e3, hi, p, tol)
				}
			}
			t.Logf("availability %.5f (Simulate %.5f), p50 %.2f ms (%.2f), p99 %.2f ms (%.2f)", a, want.Availability,
				1e3*lat[len(lat)/2], 1e3*want.Quantile(0.5), 1e3*lat[int(0.99*float64(len(lat)))], 1e3*want.Quantile(0.99))
		})
	}
}

// TestEmitDeterministic checks that a seed fixes every span, that another
// seed changes them, and that Start and Interval place the requests.
func TestEmitDeterministic(t *testing.T) {
	j := spectest.LoadOne(t, "../../examples/checkout")
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	run := func(seed uint64) [][]trace.Span {
		var out [][]trace.Span
		_, err := sim.EmitTraces(j, sim.EmitOptions{Requests: 300, Seed: seed, Correlation: sim.Gaussian(0.5),
			Start: start, Interval: 250 * time.Millisecond}, func(ss []trace.Span) error {
			out = append(out, ss)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b := run(9), run(9)
	if !reflect.DeepEqual(a, b) {
		t.Error("two runs with seed 9 differ")
	}
	if reflect.DeepEqual(a, run(10)) {
		t.Error("seeds 9 and 10 give the same traces")
	}
	for i, ss := range a {
		if want := start.Add(time.Duration(i) * 250 * time.Millisecond).UnixNano(); ss[0].Start != want {
			t.Fatalf("request %d starts at %d, want %d", i, ss[0].Start, want)
		}
	}
}

func TestEmitErrors(t *testing.T) {
	j := testJourney(leaf("a"))
	stop := errors.New("stop")
	tests := []struct {
		name      string
		j         *model.Journey
		opts      sim.EmitOptions
		want      string
		wantCalls int
	}{
		{"no requests", j, sim.EmitOptions{}, "requests must be positive", 0},
		{"negative interval", j, sim.EmitOptions{Requests: 1, Interval: -time.Second}, "interval -1s", 0},
		{"bad rho", j, sim.EmitOptions{Requests: 1, Correlation: sim.Gaussian(-0.1)}, "rho -0.1", 0},
		{"unknown", testJourney(leaf("zz")), sim.EmitOptions{Requests: 1}, `unknown component "zz"`, 0},
		{"nil", nil, sim.EmitOptions{Requests: 1}, "no operator tree", 0},
		{"callback", j, sim.EmitOptions{Requests: 10}, "request 2: stop", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			st, err := sim.EmitTraces(tc.j, tc.opts, func([]trace.Span) error {
				if calls++; calls == 3 {
					return stop
				}
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if calls != tc.wantCalls || st.Requests != tc.wantCalls {
				t.Errorf("%d callbacks, stats %+v; want %d", calls, st, tc.wantCalls)
			}
			if tc.wantCalls > 0 && !errors.Is(err, stop) {
				t.Errorf("error %v does not wrap the callback's", err)
			}
		})
	}
}

// TestEmitServerSpans checks the spans of each component kind: attributes
// of client spans, resource attributes of server spans from the domains,
// no server span for external dependencies, and a constant clock skew per
// service within ±2 ms, the server span sitting 0.1–0.5 ms inside the
// call.
func TestEmitServerSpans(t *testing.T) {
	j := shapeJourney()
	root := &journey.Parallel{Branches: []journey.Node{leaf("a"), leaf("b"), leaf("c"), leaf("d"), leaf("x")}}
	j.Root = root
	traces, _ := emitAll(t, j, sim.EmitOptions{Requests: 500, Seed: 3})
	wantAttrs := map[string]map[string]string{
		"a": {"peer.service": "a"}, "b": {"peer.service": "b"}, "c": {"peer.service": "c", "db.system": "redis"},
		"d": {"peer.service": "d", "db.system": "postgresql"},
		"x": {"peer.service": "x", "server.address": "x.example.com"},
	}
	wantRes := map[string]map[string]string{
		"a": {"service.name": "a", "k8s.namespace.name": "shop", "cloud.availability_zone": "z1",
			"k8s.node.name": "n1", "k8s.cluster.name": "c1"},
		"b": {"service.name": "b", "k8s.namespace.name": "shop", "cloud.availability_zone": "z2", "k8s.cluster.name": "c1"},
		"c": {"service.name": "c", "k8s.namespace.name": "shop", "cloud.region": "r1", "host.name": "h1"},
		"d": {"service.name": "d", "k8s.namespace.name": "shop", "k8s.node.name": "n1"},
	}
	skews := map[string][]float64{}
	for i, r := range traces {
		if len(r.calls) != 5 {
			t.Fatalf("trace %d: %d calls", i, len(r.calls))
		}
		for _, c := range r.calls {
			attrs := maps.Clone(c.client.Attrs)
			delete(attrs, "error.type")
			if !reflect.DeepEqual(attrs, wantAttrs[c.peer]) {
				t.Errorf("%s: client attributes %v, want %v", c.peer, c.client.Attrs, wantAttrs[c.peer])
			}
			if (c.server == nil) != (c.peer == "x") {
				t.Fatalf("%s: server span %v", c.peer, c.server)
			}
			if c.server == nil {
				continue
			}
			if !reflect.DeepEqual(c.server.Resource, wantRes[c.peer]) {
				t.Errorf("%s: resource %v, want %v", c.peer, c.server.Resource, wantRes[c.peer])
			}
			if c.server.Error != (c.errType == "500") {
				t.Errorf("%s: server error %v, client error.type %q", c.peer, c.server.Error, c.errType)
			}
			in, out := r.seconds(c.server.Start)-c.start, c.end-r.seconds(c.server.End)
			k, d := (in-out)/2, (in+out)/2 // skew, and how far inside the call
			if d < -2e-9 || d > 0.5e-3+2e-9 || (c.end-c.start > 1e-3 && d < 0.1e-3-2e-9) {
				t.Errorf("%s: server span %.6f ms inside a call of %.3f ms", c.peer, d*1e3, (c.end-c.start)*1e3)
			}
			skews[c.peer] = append(skews[c.peer], k)
		}
	}
	var distinct []float64
	for peer, ks := range skews {
		lo, hi := slices.Min(ks), slices.Max(ks)
		if hi-lo > 2e-9 || math.Abs(lo) > 2e-3 {
			t.Errorf("%s: skew between %.6f and %.6f ms", peer, lo*1e3, hi*1e3)
		}
		distinct = append(distinct, math.Round(lo*1e6))
	}
	slices.Sort(distinct)
	if len(slices.Compact(distinct)) != 4 {
		t.Errorf("skews %v (µs) are not distinct per service", distinct)
	}
}

// shapeJourney has services a and b, cache c, database d, external
// dependency x, and service n without latency evidence.
func shapeJourney() *model.Journey {
	j := &model.Journey{Name: "shape", Components: map[string]*model.Component{}}
	add := func(name, kind string, a float64, l law.Law, doms ...string) {
		j.Components[name] = &model.Component{Name: name, Kind: kind, Availability: model.Availability{Point: a, Lower: a},
			Latency: l, Domains: doms}
	}
	add("a", "service", 0.9, law.Lognormal{Median: 0.05, Sigma: 0.5}, "zone/z1", "node/n1", "cluster/c1")
	add("b", "service", 0.9, law.Lognormal{Median: 0.06, Sigma: 0.5}, "zone/z2", "cluster/c1")
	add("c", "cache", 0.95, law.Lognormal{Median: 0.005, Sigma: 0.5}, "region/r1", "host/h1")
	add("d", "database", 0.95, law.Exponential{Mean: 0.02}, "node/n1")
	add("x", "external_dependency", 0.9, law.Lognormal{Median: 0.08, Sigma: 0.5}, "payment-network")
	add("n", "service", 0.9, nil)
	return j
}

// BenchmarkEmitCheckout emits 10,000 checkout requests.
func BenchmarkEmitCheckout(b *testing.B) {
	j := spectest.LoadOne(b, "../../examples/checkout")
	spans := 0
	for b.Loop() {
		st, err := sim.EmitTraces(j, sim.EmitOptions{Requests: 10_000, Seed: 1}, func([]trace.Span) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		spans = st.Spans
	}
	b.ReportMetric(float64(spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
