package sim_test

import (
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/sim"
)

// treeGen builds an operator tree over shapeJourney's components from
// fuzz bytes (zeros once they run out).
type treeGen struct {
	data []byte
}

func (g *treeGen) next() int {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return int(b)
}

func (g *treeGen) kids(depth int) []journey.Node {
	out := make([]journey.Node, 1+g.next()%3)
	for i := range out {
		out[i] = g.node(depth + 1)
	}
	return out
}

// node returns a subtree; below depth 3 only leaves and skips.
func (g *treeGen) node(depth int) journey.Node {
	op := g.next() % 10
	if depth >= 3 {
		op %= 2
	}
	ms := func() float64 { return float64(g.next()%25) * 0.01 }
	switch op {
	case 1:
		if g.next()%4 == 0 {
			return &journey.Skip{}
		}
	case 2:
		return &journey.Series{Steps: g.kids(depth)}
	case 3:
		return &journey.Parallel{Branches: g.kids(depth)}
	case 4:
		kids := g.kids(depth)
		p := make([]journey.Prob, len(kids))
		for i := range p {
			p[i] = journey.Prob{Lo: 1 / float64(len(kids)), Hi: 1 / float64(len(kids))}
		}
		return &journey.Cond{Probs: p, Branches: kids}
	case 5:
		return &journey.Race{HedgeAfter: ms(), Branches: g.kids(depth)}
	case 6:
		kids := g.kids(depth)
		return &journey.KofN{K: 1 + g.next()%len(kids), Branches: kids}
	case 7:
		t := &journey.Timeout{Timeout: ms(), Primary: g.node(depth + 1)}
		if g.next()%2 == 0 {
			t.Fallback = g.node(depth + 1)
		}
		if g.next()%3 == 0 {
			t.TimeoutProbability = ptr(0.2)
		}
		return t
	case 8:
		return &journey.Retry{Attempts: 1 + g.next()%3, PerTryTimeout: ms(), Backoff: ms() / 5, Target: g.node(depth + 1)}
	}
	return leaf(string("abcdxn"[g.next()%6]))
}

// FuzzEmitTraces emits requests of random operator trees and checks that
// every trace follows the conventions parseTrace checks (in particular
// no call outlives the root, IDs are sound, server spans hang under
// client spans) and that the counts add up.
func FuzzEmitTraces(f *testing.F) {
	f.Add([]byte{2, 2, 0, 0, 7, 5, 1, 2, 0, 0, 3, 0})
	f.Add([]byte{6, 2, 5, 2, 0, 1, 3, 0, 4, 8, 2, 7, 1})
	f.Add([]byte{8, 2, 4, 9, 2, 7, 2, 4, 5, 1, 1, 5, 0, 2, 3, 3, 9, 1, 1})
	f.Add([]byte{7, 3, 0, 5, 2, 2, 0, 0, 5, 6, 0, 1, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		j := shapeJourney()
		j.Root = (&treeGen{data: data}).node(0)
		n, ok := 0, 0
		st, err := sim.EmitTraces(j, sim.EmitOptions{Requests: 30, Seed: uint64(len(data)), Correlation: sim.Gaussian(0.5)},
			func(ss []trace.Span) error {
				if max := 1 + 2*maxCalls(j.Root); len(ss) > max {
					t.Fatalf("%s: a trace of %d spans, more than the %d its calls allow", j.Root, len(ss), max)
				}
				r, err := parseTrace(ss)
				n++
				if !r.root.Error {
					ok++
				}
				return err
			})
		if err != nil {
			t.Fatalf("%s: %v", j.Root, err)
		}
		if st.Requests != 30 || n != 30 || st.Successes != ok {
			t.Fatalf("%s: stats %+v after %d traces, %d successful", j.Root, st, n, ok)
		}
	})
}

// maxCalls bounds the calls one request of tree n makes: the spans of a
// trace (a root, and a client and a server span per call) stay within
// 1 + 2·maxCalls, which the readers' spans-per-trace limit relies on.
func maxCalls(n journey.Node) int {
	switch n := n.(type) {
	case *journey.Leaf:
		return 1
	case *journey.Skip:
		return 0
	case *journey.Cond:
		m := 0
		for _, c := range n.Branches {
			m = max(m, maxCalls(c))
		}
		return m
	case *journey.Retry:
		return n.Attempts * maxCalls(n.Target)
	}
	total := 0
	for _, c := range n.Children() {
		total += maxCalls(c)
	}
	return total
}
