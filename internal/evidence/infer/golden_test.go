package infer

import (
	"flag"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// render prints a model as text, every field in a fixed order.
func render(m *Model) string {
	var b strings.Builder
	fmt.Fprintf(&b, "journey %s: %d traces (%d failed) from %v, %s … %s, confidence %.4f\n",
		m.Journey, m.Traces, m.Failed, m.Sources, m.Window[0].Format("15:04:05"), m.Window[1].Format("15:04:05.000"), m.Confidence)
	fmt.Fprintf(&b, "tree %s\n", m.Root)
	for _, n := range m.Nodes {
		fmt.Fprintf(&b, "node %s %s conf %.4f traces %d examples %v probs %v\n", n.Path, n.Kind, n.Confidence, n.Traces, n.Examples, n.Probs)
		for _, s := range n.Signals {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	for _, c := range m.Components {
		fmt.Fprintf(&b, "component %s %s good %d/%d [%.5f, %.5f] cut %d cancelled %d samples %d p99 %.5f [%.5f, %.5f] conf %.4f downstream %v examples %v\n",
			c.Name, c.Kind, c.Good, c.Total, c.Lower, c.Upper, c.Cut, c.Cancelled, c.Samples, c.P99, c.P99Lo, c.P99Hi, c.Confidence, c.Downstream, c.Examples)
		fmt.Fprintf(&b, "  histogram %v %v\n", c.Bounds, c.Counts)
	}
	for _, d := range m.Domains {
		fmt.Fprintf(&b, "domain %s %v conf %.4f\n", d.Name, d.Members, d.Confidence)
		for _, s := range d.Signals {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	for _, n := range m.Notes {
		fmt.Fprintf(&b, "note %s\n", n)
	}
	return b.String()
}

// handCheckout is a hand-made checkout: Series(frontend, Cond(cache,
// catalog), Timeout(200ms; Race(paya, payb), queue)), with clusters and a
// shared database.
func handCheckout(i int) ttrace {
	cl := map[string]string{trace.AttrK8sCluster: "prod-eu1", trace.AttrK8sNode: fmt.Sprintf("n%d", i%2)}
	front := tcall{peer: "frontend", end: lat(i, "frontend", 10, 60), res: cl, down: []string{"orders-db"}}
	price := tcall{peer: "cache", end: lat(i, "cache", 1, 4), res: cl, attrs: map[string]string{trace.AttrDBSystem: "redis"}}
	if i%5 == 0 {
		price = tcall{peer: "catalog", end: lat(i, "catalog", 20, 90), res: cl, down: []string{"orders-db"}}
	}
	calls := seq(0, front, price)
	s := calls[1].end + 0.1
	a, b := lat(i, "paya", 40, 260), lat(i, "payb", 50, 280)
	pay := race(0, a, b)
	for k := range pay {
		p := &pay[k]
		p.peer = map[string]string{"a": "paya", "b": "payb"}[p.peer]
		p.start, p.end = p.start+s, math.Min(p.end+s, s+200)
		if p.end == s+200 {
			p.errType = "timeout"
		}
		p.noServer = true
		p.attrs = map[string]string{trace.AttrServerAddress: p.peer + ".example.com"}
	}
	calls = append(calls, pay...)
	if math.Min(a, b) > 200 {
		calls = append(calls, tcall{peer: "queue", start: s + 200, end: s + 200 + lat(i, "queue", 5, 30), res: cl})
	}
	return ttrace{op: "checkout", calls: calls}
}

// TestGoldenCheckout renders the model of 500 hand-made checkout traces;
// run with -update to rewrite testdata/checkout.golden.
func TestGoldenCheckout(t *testing.T) {
	b := NewBuilder(Options{Journey: "checkout"})
	for i := range 500 {
		b.Add("hand-made.json", handCheckout(i).spans(i))
	}
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	checkValid(t, m)
	got := render(m)
	golden.Check(t, filepath.Join("testdata", "checkout.golden"), []byte(got), *update)
	if got := m.Root.String(); !strings.HasPrefix(got, "Series(frontend, Cond(") || !strings.HasSuffix(got, "Timeout(200ms; Race(paya, payb), queue))") {
		t.Errorf("tree %s", got)
	}
}
