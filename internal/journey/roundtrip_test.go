package journey

import (
	"github.com/emac-dev/emac/internal/limits"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
)

// gen builds random trees covering every node type, intervals, named
// probabilities, hedges, backoffs and timeoutProbability, including values
// that parse but that Validate rejects (negative durations, k > n).
type gen struct{ r *rand.Rand }

const identFirst = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"

func (g gen) ident() string {
	fixed := []string{"frontend", "slo.front", "k8s-app", "p_hit", "Series", "a-", "_", "x.y.z"}
	if g.r.IntN(2) == 0 {
		return fixed[g.r.IntN(len(fixed))]
	}
	rest := identFirst + "0123456789.-"
	b := []byte{identFirst[g.r.IntN(len(identFirst))]}
	for range g.r.IntN(8) {
		b = append(b, rest[g.r.IntN(len(rest))])
	}
	if string(b) == "skip" {
		return "skipper"
	}
	return string(b)
}

func (g gen) duration() float64 {
	switch g.r.IntN(6) {
	case 0:
		return float64(1+g.r.IntN(999)) / 1000
	case 1:
		return g.r.Float64() * 10
	case 2:
		return float64(g.r.IntN(100)) * 3600
	case 3:
		return g.r.Float64() * 1e-6
	case 4:
		return -float64(g.r.IntN(2000)) / 1000
	}
	return math.Ldexp(g.r.Float64(), g.r.IntN(80)-40)
}

func (g gen) prob() Prob {
	switch g.r.IntN(4) {
	case 0:
		return Prob{Param: g.ident()}
	case 1:
		lo := g.r.Float64()
		return Prob{Lo: lo, Hi: lo + (1-lo)*g.r.Float64()}
	case 2:
		v := float64(g.r.IntN(11)) / 10
		return Prob{Lo: v, Hi: v}
	}
	v := g.r.Float64()
	return Prob{Lo: v, Hi: v}
}

func (g gen) optProb() *float64 {
	if g.r.IntN(2) == 0 {
		return nil
	}
	v := g.r.Float64()
	return &v
}

func (g gen) children(depth, lo, hi int) []Node {
	out := make([]Node, lo+g.r.IntN(hi-lo+1))
	for i := range out {
		out[i] = g.node(depth - 1)
	}
	return out
}

func (g gen) node(depth int) Node {
	if depth <= 0 || g.r.IntN(4) == 0 {
		if g.r.IntN(8) == 0 {
			return &Skip{}
		}
		return &Leaf{Name: g.ident()}
	}
	switch g.r.IntN(7) {
	case 0:
		return &Series{Steps: g.children(depth, 0, 4)}
	case 1:
		return &Parallel{Branches: g.children(depth, 0, 4)}
	case 2:
		return g.cond(depth)
	case 3:
		n := &Race{Branches: g.children(depth, 0, 3)}
		if g.r.IntN(2) == 0 {
			n.HedgeAfter = g.duration()
		}
		return n
	case 4:
		return &KofN{K: g.r.IntN(5) - 1, Branches: g.children(depth, 0, 4)}
	case 5:
		kids := g.children(depth, 1, 2)
		n := &Timeout{Timeout: g.duration(), Primary: kids[0], TimeoutProbability: g.optProb()}
		if len(kids) == 2 {
			n.Fallback = kids[1]
		}
		return n
	}
	n := &Retry{Attempts: g.r.IntN(6) - 1, PerTryTimeout: g.duration(), Target: g.node(depth - 1), TimeoutProbability: g.optProb()}
	if g.r.IntN(2) == 0 {
		n.Backoff = g.duration()
	}
	return n
}

func (g gen) cond(depth int) Node {
	n := &Cond{Branches: g.children(depth, 1, 4)}
	k := len(n.Branches)
	for range k - g.r.IntN(2) { // k or k−1 written probabilities
		n.Probs = append(n.Probs, g.prob())
	}
	if len(n.Probs) == k-1 {
		n.Probs = append(n.Probs, Prob{Implicit: true})
	}
	return n
}

func TestRoundTripRandomTrees(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for i := range 5000 {
		tree := g.node(1 + i%6)
		want := tree.String()
		n, errs := Parse(want, at)
		if errs.HasErrors() {
			t.Fatalf("Parse(%q):\n%v", want, errs.Err())
		}
		if got := n.String(); got != want {
			t.Fatalf("round trip changed the tree:\n got %s\nwant %s", got, want)
		}
	}
}

var fuzzSeeds = []string{
	"Series(frontend, Cond(0.8; cache, catalog), Timeout(200ms; Race(paya, payb), queue))",
	"Cond(0.5, 0.3; a, b, c)", "Cond([0.7, 0.9]; a, b)", "Cond(p_hit; cache, catalog)",
	"Race(hedge=50ms; a, b)", "KofN(2; a, b, c)", "Timeout(200ms, timeoutProbability=0.01; a, skip)",
	"Retry(3, 100ms, 20ms, timeoutProbability=0.5; slo.front)", "Timeout(2h30m; k8s-app)",
	"Timeout(250µs; a)", "Timeout(1e-07s; a)", "Parallel(a)", "Series()", "Cond(a)",
	"Seres(a, b)", "Series(a, b", "Timeout(200ms; a, b, c)", "KofN(a, b)", "Cond([0.7, 0.9, 1]; a, b)",
	"Series(a b)", "Timeout(200ms, a)", "Retry(3; a)", "a, b", "", "Cond(0.5s; a)", "Race(hedge=; a)",
	"Series(a, #, b)", "Timeout(-200ms; a)", "Retry(-1, -0.5, -2h; a)", "Cond([0.9, 0.7]; a, b)",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		n, errs := Parse(src, at)
		if errs == nil {
			t.Fatal("Parse returned a nil list")
		}
		checkColumns(t, src, errs)
		if errs.HasErrors() {
			if n != nil {
				t.Fatalf("Parse(%q) returned a tree with errors", src)
			}
			return
		}
		s1 := n.String()
		n2, errs2 := Parse(s1, at)
		if errs2.HasErrors() {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse:\n%v", src, s1, errs2.Err())
		}
		if s2 := n2.String(); s2 != s1 {
			t.Fatalf("Parse(%q): String not a fixpoint:\n%s\n%s", src, s1, s2)
		}
		Validate(n, map[string]bool{}, map[string]float64{"p": 0.5})
		Bind(n, map[string]float64{"p": 0.5})
		checkSizeInvariant(t, n)
	})
}

// checkSizeInvariant asserts that CheckSize reports a tree exactly when it
// exceeds small limits.
func checkSizeInvariant(t *testing.T, n Node) {
	t.Helper()
	lim := limits.Limits{Nodes: 12, Depth: 4, Branches: 5, RetryAttempts: 4}
	nodes, depth, over := 0, 0, false
	var walk func(n Node, d int)
	walk = func(n Node, d int) {
		nodes, depth = nodes+1, max(depth, d)
		if r, ok := n.(*Retry); len(n.Children()) > lim.Branches || ok && r.Attempts > lim.RetryAttempts {
			over = true
		}
		for _, c := range n.Children() {
			walk(c, d+1)
		}
	}
	walk(n, 1)
	over = over || nodes > lim.Nodes || depth > lim.Depth
	if got := CheckSize(n, lim).HasErrors(); got != over {
		t.Fatalf("CheckSize(%s) reports %v; %d nodes, depth %d, over a limit: %v", n, got, nodes, depth, over)
	}
}

// checkColumns asserts that every diagnostic points into the source (or
// just past its end).
func checkColumns(t *testing.T, src string, errs *diag.List) {
	t.Helper()
	for _, d := range errs.Items() {
		if d.Pos.Line != 1 || d.Pos.Col < 1 || d.Pos.Col > len(src)+1 {
			t.Fatalf("Parse(%q): diagnostic outside the source: %v", src, d)
		}
		if strings.HasSuffix(d.Message, ".") {
			t.Fatalf("message ends with a period: %q", d.Message)
		}
	}
}
