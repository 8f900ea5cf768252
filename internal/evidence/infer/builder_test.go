package infer

import (
	"reflect"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

func serialTrace(op string, wrap bool) func(i int) ttrace {
	return func(i int) ttrace {
		return ttrace{op: op, wrap: wrap, calls: seq(0, mk("a", lat(i, "a", 5, 40)), mk("b", lat(i, "b", 5, 40)))}
	}
}

// TestCandidates lists root operations (and the server operations right
// below them) with their trace counts, most frequent first.
func TestCandidates(t *testing.T) {
	b := NewBuilder(Options{})
	add := func(gen func(int) ttrace, n, from int) {
		for i := from; i < from+n; i++ {
			b.Add("f", gen(i).spans(i))
		}
	}
	add(serialTrace("checkout", false), 3, 0)
	add(serialTrace("search", false), 2, 10)
	add(serialTrace("checkout", true), 2, 20)
	got := b.Candidates()
	want := []Candidate{
		{Service: "gateway", Operation: "checkout", Root: true, Traces: 5, Calls: 2},
		{Service: "edge", Operation: "GET /", Root: true, Traces: 2, Calls: 1},
		{Service: "gateway", Operation: "search", Root: true, Traces: 2, Calls: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("candidates:\n got %+v\nwant %+v", got, want)
	}
	if _, err := b.Model(); err == nil || !strings.Contains(err.Error(), "select a journey") {
		t.Errorf("Model without a journey among several roots: err = %v", err)
	}
}

// TestSelection checks the forms of Options.Journey and the errors of
// Model.
func TestSelection(t *testing.T) {
	tests := []struct {
		name, journey string
		gens          []func(int) ttrace
		traces        int
		err           string
	}{
		{"operation alone", "checkout", []func(int) ttrace{serialTrace("checkout", true)}, 20, ""},
		{"service and operation", "gateway checkout", []func(int) ttrace{serialTrace("checkout", false)}, 20, ""},
		{"single root picked", "", []func(int) ttrace{serialTrace("checkout", false)}, 20, ""},
		{"other service", "edge checkout", []func(int) ttrace{serialTrace("checkout", false)}, 0, `no span of operation "edge checkout"`},
		{"unknown operation", "pay", []func(int) ttrace{serialTrace("checkout", false)}, 0, `no span of operation "pay"`},
		{"no calls", "checkout", []func(int) ttrace{func(int) ttrace { return ttrace{op: "checkout"} }}, 0, "make no calls"},
		{"no traces", "", nil, 0, "no traces"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder(Options{Journey: tc.journey})
			for _, g := range tc.gens {
				for i := range 20 {
					b.Add("f", g(i).spans(i))
				}
			}
			m, err := b.Model()
			switch {
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("err = %v, want %q", err, tc.err)
			case tc.err == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.err == "" && (m.Traces != tc.traces || m.Root.String() != "Series(a, b)"):
				t.Errorf("got %d traces, %s", m.Traces, m.Root)
			}
		})
	}
}

// TestAddOddInput feeds spans that break the conventions: nothing may
// panic, foreign trace IDs are dropped with a note, cycles are cut.
func TestAddOddInput(t *testing.T) {
	b := NewBuilder(Options{Journey: "checkout"})
	b.Add("f", nil)
	spans := serialTrace("checkout", false)(0).spans(0)
	spans = append(spans, trace.Span{TraceID: "other", SpanID: "x", Name: "checkout"})
	spans = append(spans, trace.Span{TraceID: spans[0].TraceID, SpanID: "c1", ParentID: "c2", Kind: trace.KindInternal},
		trace.Span{TraceID: spans[0].TraceID, SpanID: "c2", ParentID: "c1", Kind: trace.KindInternal})
	b.Add("f", spans)
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	if m.Traces != 1 || !strings.Contains(strings.Join(m.Notes, "\n"), "mix spans") {
		t.Errorf("traces %d, notes %v", m.Traces, m.Notes)
	}
}

// TestLoop models a component called a varying number of times, one call
// after the other, without failures: a Cond over Series of copies.
func TestLoop(t *testing.T) {
	b := NewBuilder(Options{Journey: "checkout"})
	for i := range 300 {
		calls := []tcall{mk("a", 3)}
		for range 1 + i%3 {
			calls = append(calls, mk("item", lat(i, "item", 2, 6)))
		}
		b.Add("f", ttrace{op: "checkout", calls: seq(0, calls...)}.spans(i))
	}
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	want := "Series(a, Cond([0.2823, 0.3885], [0.2823, 0.3885], [0.2823, 0.3885]; item, Series(item, item), Series(item, item, item)))"
	if m.Root.String() != want {
		t.Errorf("got %s\nwant %s", m.Root, want)
	}
	checkValid(t, m)
}
