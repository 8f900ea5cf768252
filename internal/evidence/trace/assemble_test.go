package trace

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestAssembler(t *testing.T) {
	tests := []struct {
		name     string
		window   int
		stream   string // one trace letter per span; span i has SpanID i
		want     string // the traces in flush order
		reopened int
		maxOpen  int
	}{
		{"all at close, first-seen order", 100, "AABACB", "A[0 1 3] B[2 5] C[4]", 0, 3},
		{"flushed when out of the window", 2, "AABBCA", "A[0 1] B[2 3] C[4] A[5]", 1, 3},
		{"window of one", 1, "AABA", "A[0 1] B[2] A[3]", 1, 2},
		{"interleaved within the window", 3, "ABABAB", "A[0 2 4] B[1 3 5]", 0, 2},
		{"exactly the window apart", 2, "ABA", "A[0 2] B[1]", 0, 2},
		{"one more than the window apart", 2, "ABBA", "A[0] B[1 2] A[3]", 1, 2},
		{"default window", 0, "ABCABC", "A[0 3] B[1 4] C[2 5]", 0, 3},
		{"empty", 5, "", "", 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			a := NewAssembler(tc.window, func(tr []Span) error {
				ids := make([]string, len(tr))
				for i, s := range tr {
					ids[i] = s.SpanID
				}
				got = append(got, fmt.Sprintf("%s[%s]", tr[0].TraceID, strings.Join(ids, " ")))
				return nil
			})
			for i, c := range tc.stream {
				if err := a.Add(&Span{TraceID: string(c), SpanID: fmt.Sprint(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.Close(); err != nil {
				t.Fatal(err)
			}
			st := a.Stats()
			if g := strings.Join(got, " "); g != tc.want {
				t.Errorf("traces %q, want %q", g, tc.want)
			}
			if st.Reopened != tc.reopened || st.MaxOpen != tc.maxOpen || st.Traces != len(got) {
				t.Errorf("stats %+v, want reopened %d, max open %d, traces %d", st, tc.reopened, tc.maxOpen, len(got))
			}
		})
	}
}

func TestAssemblerError(t *testing.T) {
	stop := errors.New("stop")
	a := NewAssembler(1, func([]Span) error { return stop })
	a.Add(&Span{TraceID: "A"})
	if err := a.Add(&Span{TraceID: "B"}); !errors.Is(err, stop) {
		t.Errorf("Add: %v, want stop", err)
	}
	a = NewAssembler(10, func([]Span) error { return stop })
	a.Add(&Span{TraceID: "A"})
	if err := a.Close(); !errors.Is(err, stop) {
		t.Errorf("Close: %v, want stop", err)
	}
}

// TestAssemblerInterleaved feeds traces that run concurrently (a few at a
// time, spans interleaved) and checks that a window wider than the
// interleaving rebuilds every trace whole, and that a narrow one splits
// some and says so.
func TestAssemblerInterleaved(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	comps := genComponents()
	var traces [][]Span
	for i := 0; i < 300; i++ {
		traces = append(traces, genTrace(r, i, comps))
	}
	stream := interleave(r, traces, 4)
	for _, tc := range []struct {
		window      int
		wantReopens bool
	}{{200, false}, {3, true}} {
		sizes := map[string]int{}
		pieces := 0
		a := NewAssembler(tc.window, func(tr []Span) error {
			pieces++
			sizes[tr[0].TraceID] += len(tr)
			return nil
		})
		for i := range stream {
			if err := a.Add(&stream[i]); err != nil {
				t.Fatal(err)
			}
		}
		a.Close()
		st := a.Stats()
		for _, tr := range traces {
			if sizes[tr[0].TraceID] != len(tr) {
				t.Fatalf("window %d: trace %s has %d spans, want %d", tc.window, tr[0].TraceID, sizes[tr[0].TraceID], len(tr))
			}
		}
		if (st.Reopened > 0) != tc.wantReopens || pieces != len(traces)+st.Reopened || st.Traces != pieces {
			t.Errorf("window %d: %d pieces of %d traces, stats %+v", tc.window, pieces, len(traces), st)
		}
		if st.MaxOpen > tc.window+1 {
			t.Errorf("window %d: %d traces open at once", tc.window, st.MaxOpen)
		}
	}
}

// interleave merges the traces' spans, k traces running at a time.
func interleave(r *rand.Rand, traces [][]Span, k int) []Span {
	var out []Span
	var active [][]Span
	next := 0
	for next < len(traces) || len(active) > 0 {
		for len(active) < k && next < len(traces) {
			active = append(active, traces[next])
			next++
		}
		i := r.IntN(len(active))
		out = append(out, active[i][0])
		if active[i] = active[i][1:]; len(active[i]) == 0 {
			active = append(active[:i], active[i+1:]...)
		}
	}
	return out
}
