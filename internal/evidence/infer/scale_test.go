package infer

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/limits"
)

// wideTrace is one trace: a root server span "gateway checkout" with n
// client children. Shape "serial" calls one peer n times one after
// another, "parallel" n times at once, "distinct" n different peers one
// after another.
func wideTrace(n int, shape string) []trace.Span {
	tid := fmt.Sprintf("%032x", 1)
	root := trace.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", 1), Service: "gateway", Name: "checkout",
		Kind: trace.KindServer, Start: base, End: base + int64(n+1)*1000,
		Resource: map[string]string{trace.AttrServiceName: "gateway"}}
	spans := make([]trace.Span, 0, n+1)
	spans = append(spans, root)
	for i := range n {
		peer, start := "svc", base+int64(i)*1000
		switch shape {
		case "parallel":
			start = base
		case "distinct":
			peer = fmt.Sprintf("svc%d", i)
		}
		spans = append(spans, trace.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", i+2), ParentID: root.SpanID,
			Service: "gateway", Name: "call " + peer, Kind: trace.KindClient, Start: start, End: start + 900,
			Attrs: map[string]string{trace.AttrPeerService: peer}})
	}
	return spans
}

// deepTrace is one trace of about n spans: a chain of n/3 nested
// internal spans, below its deepest span n/3 spans of the journey's
// operation "gateway checkout", each making one call. Finding the
// outermost spans of the operation must not walk each one's n/3
// ancestors.
func deepTrace(n int) []trace.Span {
	tid := fmt.Sprintf("%032x", 1)
	spans := make([]trace.Span, 0, n)
	id := 0
	next := func() string { id++; return fmt.Sprintf("%016x", id) }
	parent := ""
	for i := range n / 3 {
		s := trace.Span{TraceID: tid, SpanID: next(), ParentID: parent, Service: "edge", Name: "route",
			Kind: trace.KindInternal, Start: base + int64(i), End: base + int64(3*n-i)}
		spans, parent = append(spans, s), s.SpanID
	}
	for i := range n / 3 {
		start := base + int64(n+i*10)
		root := trace.Span{TraceID: tid, SpanID: next(), ParentID: parent, Service: "gateway", Name: "checkout",
			Kind: trace.KindServer, Start: start, End: start + 9}
		spans = append(spans, root, trace.Span{TraceID: tid, SpanID: next(), ParentID: root.SpanID, Service: "gateway",
			Name: "call db", Kind: trace.KindClient, Start: start + 1, End: start + 8,
			Attrs: map[string]string{trace.AttrPeerService: "db"}})
	}
	return spans
}

// BenchmarkWideTrace measures Add and Model on one trace whose root has
// 100,000 children (just under the default spans-per-trace limit): the
// extraction and the decomposition must stay near-linear in the calls of
// one instance. Distinct peers are bounded by Options.MaxComponents.
func BenchmarkWideTrace(b *testing.B) {
	for _, tc := range []struct {
		shape string
		n     int
	}{{"serial", 100_000}, {"parallel", 100_000}, {"distinct", DefaultMaxComponents}} {
		spans := wideTrace(tc.n, tc.shape)
		b.Run(fmt.Sprintf("%s/%d", tc.shape, tc.n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bl := NewBuilder(Options{Journey: "gateway checkout"})
				bl.Add("in", spans)
				if _, err := bl.Model(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeepTrace measures a trace of 100,000 spans whose journey
// roots sit below a chain of 33,333 spans.
func BenchmarkDeepTrace(b *testing.B) {
	spans := deepTrace(100_000)
	for b.Loop() {
		bl := NewBuilder(Options{Journey: "gateway checkout"})
		bl.Add("in", spans)
		if _, err := bl.Model(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestMaxComponents checks that a journey calling more distinct
// components than Options.MaxComponents fails with a limit error naming
// the flag, and that one at the bound is inferred.
func TestMaxComponents(t *testing.T) {
	tests := []struct {
		n, max  int
		wantErr bool
	}{
		{n: 50, max: 50},
		{n: 51, max: 50, wantErr: true},
		{n: DefaultMaxComponents + 1, wantErr: true},
	}
	for _, tc := range tests {
		bl := NewBuilder(Options{Journey: "gateway checkout", MaxComponents: tc.max})
		bl.Add("in", wideTrace(tc.n, "distinct"))
		m, err := bl.Model()
		var le *limits.Error
		switch {
		case tc.wantErr && (!errors.As(err, &le) || le.Flag != FlagMaxComponents):
			t.Errorf("%d components, max %d: got %v, want a limit error naming --%s", tc.n, tc.max, err, FlagMaxComponents)
		case !tc.wantErr && (err != nil || len(m.Components) != tc.n):
			t.Errorf("%d components, max %d: %v", tc.n, tc.max, err)
		}
	}
}

// TestStepDelays checks the sweep against the pairwise definition: for
// each call, the latest end of another component's call ending by its
// start.
func TestStepDelays(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		cs := make([]call, rng.IntN(12))
		for i := range cs {
			s := rng.Int64N(40) - 5
			cs[i] = call{comp: int32(rng.IntN(3)), start: s, end: s + rng.Int64N(10)}
		}
		sortCalls(cs)
		gap := rng.Int64N(20)
		var got, want []int64
		stepDelays(cs, gap, nil, func(d int64) { got = append(got, d) })
		for _, c := range cs {
			best := int64(-1)
			for _, y := range cs {
				if y.comp != c.comp && y.end <= c.start && y.end > best {
					best = y.end
				}
			}
			if best >= 0 && c.start-best <= gap {
				want = append(want, c.start-best)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("case %d %+v gap %d: delays %v, want %v", iter, cs, gap, got, want)
		}
	}
}

// TestAncestorMatches checks ancestorMatches against hasAncestor on
// random parent links, cycles included.
func TestAncestorMatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for iter := range 500 {
		n := 1 + rng.IntN(10)
		ti := &traceIndex{spans: make([]trace.Span, n), parent: make([]int, n)}
		match := make([]bool, n)
		for i := range n {
			ti.parent[i] = rng.IntN(n+1) - 1
			if ti.parent[i] == i {
				ti.parent[i] = -1
			}
			match[i] = rng.IntN(3) == 0
		}
		got := ti.ancestorMatches(match)
		for i := range n {
			if want := ti.hasAncestor(i, func(j int) bool { return match[j] }); got[i] != want {
				t.Fatalf("case %d: parents %v, match %v: span %d: %v, want %v", iter, ti.parent, match, i, got[i], want)
			}
		}
	}
}
