package infer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
)

// The defects of issue 11 seen on traces written by real instrumentation,
// each reduced to hand-made traces that show it.

// checkoutSteps are the seven steps of a strictly sequential checkout in
// which the cart service serves the first and the sixth.
var checkoutSteps = []tcall{
	{peer: "cart", op: "GetCart"}, {peer: "catalog", op: "GetProduct"}, {peer: "currency", op: "Convert"},
	{peer: "shipping", op: "GetQuote"}, {peer: "payment", op: "Charge"}, {peer: "cart", op: "EmptyCart"},
	{peer: "email", op: "SendOrderConfirmation"},
}

const checkoutWant = "Series(cart.GetCart, catalog.GetProduct, currency.Convert, shipping.GetQuote, payment.Charge, cart.EmptyCart, email.SendOrderConfirmation)"

// checkoutCalls lays out the steps of request i one after another; stop,
// when positive, ends the request after that many steps.
func checkoutCalls(i, stop int) []tcall {
	var calls []tcall
	for k, s := range checkoutSteps {
		if stop > 0 && k >= stop {
			break
		}
		s.end = lat(i, s.peer+s.op, 2, 20)
		calls = append(calls, s)
	}
	return seq(0, calls...)
}

func buildModel(t *testing.T, opts Options, traces ...[]trace.Span) *Model {
	t.Helper()
	b := NewBuilder(opts)
	for _, spans := range traces {
		b.Add("hand-made", spans)
	}
	m, err := b.Model()
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	checkValid(t, m)
	return m
}

// TestDefect1OperationsAreComponents: one service serving two steps of a
// sequential journey (cart: GetCart first, EmptyCart sixth) must give two
// components, one per operation, and keep the order (it gave a Parallel
// with confidence 0).
func TestDefect1OperationsAreComponents(t *testing.T) {
	var traces [][]trace.Span
	for i := range 300 {
		traces = append(traces, ttrace{op: "PlaceOrder", calls: checkoutCalls(i, 0)}.spans(i))
	}
	m := buildModel(t, Options{Journey: "gateway PlaceOrder"}, traces...)
	if got := m.Root.String(); got != checkoutWant {
		t.Fatalf("got %s, want %s", got, checkoutWant)
	}
	if m.Confidence < 0.9 {
		t.Errorf("confidence %.3f, want ≥ 0.9", m.Confidence)
	}
	checkOperations(t, m, map[string][2]string{"cart.GetCart": {"cart", "GetCart"}, "cart.EmptyCart": {"cart", "EmptyCart"}})
}

// checkOperations checks the service and operation fields of components.
func checkOperations(t *testing.T, m *Model, want map[string][2]string) {
	t.Helper()
	for name, so := range want {
		c := component(m, name)
		if c == nil {
			t.Errorf("no component %s", name)
			continue
		}
		if c.Service != so[0] || c.Operation != so[1] {
			t.Errorf("component %s: service %q operation %q, want %q %q", name, c.Service, c.Operation, so[0], so[1])
		}
	}
}

// TestDefect2TruncationIsFailure: without any status, a request that
// stops after step 2 failed there; steps 3–7 are not optional branches,
// and step 2's good/total counts the stops (it stayed 100 % good).
func TestDefect2TruncationIsFailure(t *testing.T) {
	var traces [][]trace.Span
	stops := 0
	for i := range 1000 {
		stop := 0
		if i%40 == 7 {
			stop, stops = 2, stops+1
		}
		traces = append(traces, ttrace{op: "PlaceOrder", noStatus: true, calls: checkoutCalls(i, stop)}.spans(i))
	}
	m := buildModel(t, Options{Journey: "gateway PlaceOrder"}, traces...)
	if got := m.Root.String(); got != checkoutWant {
		t.Fatalf("got %s, want %s", got, checkoutWant)
	}
	c := component(m, "catalog.GetProduct")
	if c == nil || c.Total != 1000 || c.Total-c.Good != stops {
		t.Fatalf("catalog.GetProduct: %+v, want %d failures of 1000", c, stops)
	}
	if !strings.Contains(c.Evidence, "truncation") {
		t.Errorf("catalog.GetProduct: failure evidence %q does not name truncation", c.Evidence)
	}
	for _, name := range []string{"cart.GetCart", "email.SendOrderConfirmation"} {
		if c := component(m, name); c == nil || c.Good != c.Total {
			t.Errorf("%s: %+v, want no failures", name, c)
		}
	}
	if m.Failed != stops {
		t.Errorf("%d failed instances, want %d", m.Failed, stops)
	}
}

// TestDefect3CooccurringOptionalCalls: three optional calls always made
// together are one Cond branch (a Series), and a call made only after
// another (insurance after an order) gets its probability among the
// requests that placed the order.
func TestDefect3CooccurringOptionalCalls(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		gen        func(i int) []tcall
	}{
		{"together", "Series(a, Cond(0.84; Series(x, y, z), skip), b)", func(i int) []tcall {
			calls := []tcall{mk("a", lat(i, "a", 2, 9))}
			if i%25 < 21 {
				calls = append(calls, mk("x", lat(i, "x", 2, 9)), mk("y", lat(i, "y", 2, 9)), mk("z", lat(i, "z", 2, 9)))
			}
			return seq(0, append(calls, mk("b", lat(i, "b", 2, 9)))...)
		}},
		{"nested", "Series(a, Cond(0.6; Series(order, Cond(0.5; insurance, skip)), skip), b)", func(i int) []tcall {
			calls := []tcall{mk("a", lat(i, "a", 2, 9))}
			if i%5 < 3 {
				calls = append(calls, mk("order", lat(i, "o", 2, 9)))
				if i%2 == 0 {
					calls = append(calls, mk("insurance", lat(i, "n", 2, 9)))
				}
			}
			return seq(0, append(calls, mk("b", lat(i, "b", 2, 9)))...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var traces [][]trace.Span
			for i := range 2000 {
				traces = append(traces, ttrace{op: "checkout", calls: tc.gen(i)}.spans(i))
			}
			m := buildModel(t, Options{Journey: "checkout"}, traces...)
			checkShape(t, m, tc.want)
		})
	}
}

// checkShape compares m's tree with want up to equivalence; every Cond
// probability of want must lie in the inferred interval.
func checkShape(t *testing.T, m *Model, want string) {
	t.Helper()
	w, errs := journey.Parse(want, diag.Pos{})
	if errs.HasErrors() {
		t.Fatalf("bad want %q", want)
	}
	nw, ng := normalize(w), normalize(m.Root)
	if d, ps := compare(nw, ng, ""); d != "" || len(ps) > 0 {
		t.Fatalf("got %s, want %s: %s %v", m.Root, want, d, ps)
	}
	in, n := 0, 0
	var misses []string
	condCoverage(nw, ng, nodeInfos(m), &in, &n, &misses)
	if in != n {
		t.Errorf("got %s: %v", m.Root, misses)
	}
}

// zipkinShared writes request i of Series(auth, content) as a Zipkin v2
// capture does: each call's client and server halves share one span ID
// (the server's marked "shared"), the client spans name no remote
// service, and the callees' clocks are off by milliseconds.
func zipkinShared(i int) string {
	tid := fmt.Sprintf("%016x", 0xa000+i)
	id := func(k int) string { return fmt.Sprintf("%08x%08x", i+1, k) }
	t0 := int64(1_531_282_088_000_000) + int64(i)*1_000_000
	a, c := int64(lat(i, "auth", 2, 9)*1000), int64(lat(i, "content", 2, 9)*1000)
	span := func(sid, parent, kind, svc, name string, ts, dur int64, shared bool) string {
		p := ""
		if parent != "" {
			p = fmt.Sprintf(`"parentId":%q,`, parent)
		}
		sh := ""
		if shared {
			sh = `,"shared":true`
		}
		return fmt.Sprintf(`{"traceId":%q,%s"id":%q,"kind":%q,"name":%q,"timestamp":%d,"duration":%d,"localEndpoint":{"serviceName":%q}%s}`,
			tid, p, sid, kind, name, ts, dur, svc, sh)
	}
	s1 := t0 + 500
	s2 := s1 + a + 300
	return strings.Join([]string{
		span(id(1), "", "SERVER", "mobile-gateway", "get", t0, a+c+2000, false),
		span(id(2), id(1), "CLIENT", "mobile-gateway", "get", s1, a, false),
		span(id(2), id(1), "SERVER", "auth-service", "get /authentications", s1+4000, a-400, true),
		span(id(3), id(1), "CLIENT", "mobile-gateway", "get", s2, c, false),
		span(id(3), id(1), "SERVER", "content-service", "get /content/personal", s2-1500, c-400, true),
	}, ",\n")
}

// readModel reads trace files given as text through the trace package
// and infers the journey.
func readModel(t *testing.T, opts Options, files ...string) *Model {
	t.Helper()
	b := NewBuilder(opts)
	for k, f := range files {
		asm := trace.NewAssembler(0, func(spans []trace.Span) error {
			b.Add(fmt.Sprintf("file%d", k), spans)
			return nil
		})
		if _, err := trace.ReadFrom(strings.NewReader(f), fmt.Sprintf("file%d", k), trace.Options{}, func(s *trace.Span) error { return asm.Add(s) }); err != nil {
			t.Fatalf("read: %v", err)
		}
		if err := asm.Close(); err != nil {
			t.Fatal(err)
		}
	}
	m, err := b.Model()
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	checkValid(t, m)
	return m
}

// TestDefect4ZipkinSharedSpans: client and server halves of a Zipkin call
// share a span ID; joined, the sequential calls are a Series of two
// operations, each call counted once.
func TestDefect4ZipkinSharedSpans(t *testing.T) {
	var parts []string
	for i := range 100 {
		parts = append(parts, zipkinShared(i))
	}
	m := readModel(t, Options{Journey: "mobile-gateway get"}, "[\n"+strings.Join(parts, ",\n")+"\n]\n")
	const want = "Series(auth-service.get_authentications, content-service.get_content_personal)"
	if got := m.Root.String(); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	for _, c := range m.Components {
		if c.Total != 100 || c.Kind != "service" {
			t.Errorf("%s: kind %s, %d calls, want a service called 100 times", c.Name, c.Kind, c.Total)
		}
	}
}

// TestDefect6AsyncCancellation: a Race loser's span closes up to 3 ms
// after the winner answered (the cancelled RPC returns late), after the
// next step started; the Race stays a Race inside the Series, and the
// tolerance learnt is stated.
func TestDefect6AsyncCancellation(t *testing.T) {
	var traces [][]trace.Span
	for i := range 600 {
		x := lat(i, "x", 2, 9)
		calls := []tcall{{peer: "x", end: x}}
		r := race(0, lat(i, "a", 10, 50), lat(i, "b", 10, 50))
		won := 0.0
		for k := range r {
			r[k].start += x + 0.1
			r[k].end += x + 0.1
			if r[k].errType == "" {
				won = r[k].end
			}
		}
		for k := range r {
			if r[k].errType == "cancelled" {
				r[k].end += lat(i, "lag", 0, 3)
			}
		}
		calls = append(calls, r...)
		calls = append(calls, tcall{peer: "y", start: won + 0.1, end: won + 0.1 + lat(i, "y", 0.5, 2)})
		traces = append(traces, ttrace{op: "checkout", calls: calls}.spans(i))
	}
	m := buildModel(t, Options{Journey: "checkout"}, traces...)
	checkShape(t, m, "Series(x, Race(a, b), y)")
	if !hasNote(m, "asynchronous") {
		t.Errorf("no note states the cancellation tolerance: %v", m.Notes)
	}
}

func hasNote(m *Model, sub string) bool {
	for _, n := range m.Notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}

// TestDefect7MissingKinds: spans without kinds (as some converters write
// them) still show the calls: client and server roles follow from the
// service changing between parent and child, and a note says so.
func TestDefect7MissingKinds(t *testing.T) {
	var traces [][]trace.Span
	for i := range 300 {
		traces = append(traces, ttrace{op: "checkout", noKinds: true,
			calls: seq(0, tcall{peer: "a", noPeer: true, end: lat(i, "a", 2, 9)}, tcall{peer: "b", noPeer: true, end: lat(i, "b", 2, 9)})}.spans(i))
	}
	m := buildModel(t, Options{Journey: "gateway checkout"}, traces...)
	if got := m.Root.String(); got != "Series(a, b)" {
		t.Errorf("got %s, want Series(a, b)", got)
	}
	if !hasNote(m, "kind") {
		t.Errorf("no note says the span kinds were inferred: %v", m.Notes)
	}
}

// TestDefect8ServerSpanIsTheEntry: with gRPC naming the caller's client
// span and the callee's server span carry the same operation name; the
// journey is rooted at the server span.
func TestDefect8ServerSpanIsTheEntry(t *testing.T) {
	var traces [][]trace.Span
	for i := range 300 {
		tt := ttrace{op: "GET /", calls: []tcall{{peer: "checkout", op: "oteldemo.CheckoutService/PlaceOrder",
			client: "oteldemo.CheckoutService/PlaceOrder", end: 40}}}
		spans := tt.spans(i)
		srv := spans[len(spans)-1]
		n := 100
		next := func() string { n++; return fmt.Sprintf("%08x%08x", i+1, n) }
		t0 := base + int64(i)*int64(1e9)
		for _, c := range seq(1, mk("cart", lat(i, "c", 2, 9)), mk("payment", lat(i, "p", 2, 9))) {
			for _, s := range c.spans(srv.TraceID, srv.SpanID, t0, next) {
				if s.Kind == trace.KindClient {
					s.Service = "checkout"
				}
				spans = append(spans, s)
			}
		}
		traces = append(traces, spans)
	}
	m := buildModel(t, Options{Journey: "oteldemo.CheckoutService/PlaceOrder"}, traces...)
	if got := m.Root.String(); got != "Series(cart, payment)" {
		t.Errorf("got %s, want Series(cart, payment) below the server span", got)
	}
}

// TestDefect10Honesty: calls that alternate without overlapping are not
// described as overlapping, and a loop body seen in one instance has the
// confidence of one instance and its provenance.
func TestDefect10Honesty(t *testing.T) {
	t.Run("interleaving", func(t *testing.T) {
		var traces [][]trace.Span
		for i := range 300 {
			traces = append(traces, ttrace{op: "checkout", calls: seq(0, mk("a", lat(i, "a", 2, 9)), mk("b", lat(i, "b", 2, 9)),
				mk("a", lat(i, "a2", 2, 9)), mk("b", lat(i, "b2", 2, 9)))}.spans(i))
		}
		m := buildModel(t, Options{Journey: "checkout"}, traces...)
		for _, n := range m.Notes {
			if strings.Contains(n, "overlap in time") {
				t.Errorf("note says the calls overlap; they only interleave: %q", n)
			}
		}
		for _, n := range m.Nodes {
			for _, s := range n.Signals {
				if strings.Contains(s, "overlap in time") {
					t.Errorf("node %s: signal %q, but the calls never overlap", n.Path, s)
				}
			}
		}
	})
	t.Run("loop seen once", func(t *testing.T) {
		var traces [][]trace.Span
		for i := range 500 {
			calls := []tcall{mk("a", lat(i, "a", 2, 9))}
			if i == 17 {
				calls = append(calls, mk("a", lat(i, "a2", 2, 9)))
			}
			traces = append(traces, ttrace{op: "checkout", calls: seq(0, append(calls, mk("b", 3))...)}.spans(i))
		}
		m := buildModel(t, Options{Journey: "checkout"}, traces...)
		for _, n := range m.Nodes {
			if n.Traces == 0 || len(n.Examples) == 0 {
				t.Errorf("node %s (%s) has no provenance: %+v", n.Path, n.Kind, n)
			}
			if n.Traces == 1 && n.Confidence > evidenceWeight(1)+1e-9 {
				t.Errorf("node %s seen in one instance has confidence %.3f", n.Path, n.Confidence)
			}
		}
	})
}

// TestDefect7NoCallsExplained: a journey whose instances make no calls is
// refused with what the spans lacked — kinds, parents, client spans — not
// a bare "make no calls" (it gave no hint that kinds were missing).
func TestDefect7NoCallsExplained(t *testing.T) {
	for _, tc := range []struct {
		name string
		// The span below the root: its kind (the root's too, but for
		// client and internal children: a server root), whether it
		// names the root as parent, its service.
		kind    trace.Kind
		parent  bool
		service string
		want    string
	}{
		{"no kinds, one service", trace.KindUnspecified, true, "gateway", "have no span kinds"},
		{"no parents", trace.KindClient, false, "payment", "no span names a parent"},
		{"kinds, no call", trace.KindInternal, true, "gateway", "no span is a client or producer span"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder(Options{Journey: "gateway checkout"})
			for i := range 20 {
				tid := fmt.Sprintf("%032x", i+1)
				t0 := base + int64(i)*int64(1e9)
				root := trace.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", 2*i+1), Service: "gateway", Name: "checkout",
					Kind: tc.kind, Start: t0, End: t0 + ms(20)}
				if tc.kind == trace.KindClient || tc.kind == trace.KindInternal {
					root.Kind = trace.KindServer
				}
				child := trace.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", 2*i+2), Service: tc.service, Name: "work",
					Kind: tc.kind, Start: t0 + ms(1), End: t0 + ms(9)}
				if tc.parent {
					child.ParentID = root.SpanID
				}
				b.Add("hand-made", []trace.Span{root, child})
			}
			_, err := b.Model()
			if err == nil || !strings.Contains(err.Error(), "make no calls") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying the instances make no calls and %q", err, tc.want)
			}
		})
	}
}

// TestDefect2OptionalTailOfABranch: truncation must not swallow optional
// calls. In a Parallel branch Series(a, Cond(0.6; b, skip)), the
// requests that leave b out did not stop there when a says it succeeded
// — by its HTTP code, or because a's spans record failures when there
// are some — so b is a skip branch. Reading those requests as silent
// failures of a gave Series(a, b) in 8 of issue 5's 200 fresh random
// round trips (185/200, down from 193/200).
func TestDefect2OptionalTailOfABranch(t *testing.T) {
	const want = "Parallel(Series(a, Cond(0.6; b, skip)), c)"
	for _, tc := range []struct {
		name string
		// call adds to a's client span of request i what it records.
		call func(i int, a *tcall) bool // reports whether request i failed
	}{
		{"HTTP codes", func(i int, a *tcall) bool {
			a.attrs = map[string]string{"http.response.status_code": "200"}
			return false
		}},
		{"failures by status", func(i int, a *tcall) bool {
			if i%50 == 3 {
				a.errType = "500"
				return true
			}
			return false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var traces [][]trace.Span
			for i := range 1000 {
				a := tcall{peer: "a", end: lat(i, "a", 2, 9)}
				failed := tc.call(i, &a)
				calls := []tcall{a}
				if i%5 < 3 && !failed {
					b := a.end + 0.1
					calls = append(calls, tcall{peer: "b", start: b, end: b + lat(i, "b", 2, 9)})
				}
				calls = append(calls, tcall{peer: "c", start: 0.05, end: 0.05 + lat(i, "c", 15, 30)})
				traces = append(traces, ttrace{op: "checkout", failed: failed, calls: calls}.spans(i))
			}
			m := buildModel(t, Options{Journey: "checkout"}, traces...)
			checkShape(t, m, want)
			if c := component(m, "a"); c != nil && strings.Contains(c.Evidence, "truncation") {
				t.Errorf("a: failures from truncation: %s", c.Evidence)
			}
		})
	}
}
