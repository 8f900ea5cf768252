package infer

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
)

// pattern is one hand-made span set and the tree it must yield.
type pattern struct {
	name    string
	journey string
	n       int
	gen     func(i int) ttrace
	want    string
	check   func(t *testing.T, m *Model)
}

// seq lays out calls one after another from start (ms), 0.1 ms apart.
func seq(start float64, calls ...tcall) []tcall {
	t := start
	for k := range calls {
		d := calls[k].end - calls[k].start
		calls[k].start, calls[k].end = t, t+d
		t += d + 0.1
	}
	return calls
}

func mk(peer string, d float64) tcall { return tcall{peer: peer, end: d} }

var patterns = []pattern{
	{name: "serial", n: 200, want: "Series(a, b, c)", gen: func(i int) ttrace {
		return ttrace{op: "checkout", calls: seq(0, mk("a", lat(i, "a", 5, 40)), mk("b", lat(i, "b", 5, 40)), mk("c", lat(i, "c", 1, 3)))}
	}},
	{name: "parallel", n: 200, want: "Series(Parallel(a, b), c)", gen: func(i int) ttrace {
		a, b := lat(i, "a", 5, 40), lat(i, "b", 5, 40)
		return ttrace{op: "checkout", calls: []tcall{
			{peer: "a", start: 0, end: a}, {peer: "b", start: 0.03, end: 0.03 + b},
			{peer: "c", start: math.Max(a, 0.03+b) + 0.1, end: math.Max(a, 0.03+b) + 5}}}
	}},
	{name: "cond with skip", n: 400, want: "Series(a, Cond(0.5, 0.25, 0.25; b, c, skip), d)", gen: func(i int) ttrace {
		calls := []tcall{mk("a", lat(i, "a", 5, 20))}
		switch i % 4 {
		case 0, 2:
			calls = append(calls, mk("b", lat(i, "b", 5, 20)))
		case 1:
			calls = append(calls, mk("c", lat(i, "c", 5, 20)))
		}
		return ttrace{op: "checkout", calls: seq(0, append(calls, mk("d", 2))...)}
	}, check: func(t *testing.T, m *Model) {
		ni := nodeByPath(m, "Series/Cond[1]")
		if len(ni.Probs) != 3 || ni.Probs[2].Lo > 0.25 || ni.Probs[2].Hi < 0.25 {
			t.Errorf("skip interval %v does not hold 0.25", ni.Probs)
		}
	}},
	{name: "race", n: 200, want: "Race(a, b)", gen: func(i int) ttrace {
		return ttrace{op: "checkout", calls: race(0, lat(i, "a", 10, 50), lat(i, "b", 10, 50))}
	}},
	{name: "hedged race", n: 300, want: "Race(hedge=20ms; a, b)", gen: func(i int) ttrace {
		return ttrace{op: "checkout", calls: race(20, lat(i, "a", 10, 50), lat(i, "b", 10, 50))}
	}},
	{name: "kofn", n: 300, want: "KofN(2; a, b, c)", gen: func(i int) ttrace {
		return ttrace{op: "checkout", calls: kofn(2, map[string]float64{"a": lat(i, "a", 10, 50), "b": lat(i, "b", 10, 50), "c": lat(i, "c", 10, 50)})}
	}},
	{name: "timeout with fallback", n: 300, want: "Series(x, Timeout(30ms; a, f))", gen: func(i int) ttrace {
		x := lat(i, "x", 2, 8)
		calls := []tcall{{peer: "x", end: x}}
		s, a := x+0.1, lat(i, "a", 10, 40)
		if a <= 30 {
			return ttrace{op: "checkout", calls: append(calls, tcall{peer: "a", start: s, end: s + a})}
		}
		return ttrace{op: "checkout", calls: append(calls, tcall{peer: "a", start: s, end: s + 30, errType: "timeout"},
			tcall{peer: "f", start: s + 30, end: s + 30 + lat(i, "f", 1, 5)})}
	}},
	{name: "retry", n: 300, want: "Retry(3, 40ms, 10ms; a)", gen: func(i int) ttrace {
		var calls []tcall
		for j := range 3 {
			s, d := 50*float64(j), lat(i*3+j, "a", 20, 50)
			if d <= 40 {
				return ttrace{op: "checkout", calls: append(calls, tcall{peer: "a", start: s, end: s + d})}
			}
			calls = append(calls, tcall{peer: "a", start: s, end: s + 40, errType: "timeout"})
		}
		return ttrace{op: "checkout", failed: true, calls: calls}
	}},
	{name: "missing parent", n: 200, want: "Series(a, b)", gen: func(i int) ttrace {
		calls := seq(0, mk("a", lat(i, "a", 5, 40)), mk("b", lat(i, "b", 5, 40)))
		calls[1].orphan = i%3 == 0
		return ttrace{op: "checkout", calls: calls}
	}},
	{name: "uninstrumented peer", n: 200, want: "Series(a, pay.example.com)", gen: func(i int) ttrace {
		calls := seq(0, mk("a", lat(i, "a", 5, 40)), mk("", lat(i, "p", 5, 40)))
		calls[1].noServer = true
		calls[1].attrs = map[string]string{trace.AttrServerAddress: "pay.example.com"}
		return ttrace{op: "checkout", calls: calls}
	}, check: func(t *testing.T, m *Model) {
		if c := component(m, "pay.example.com"); c == nil || c.Kind != "external_dependency" {
			t.Errorf("uninstrumented peer: %+v", c)
		}
	}},
	{name: "clock skew", n: 200, want: "Series(a, b, c)", gen: func(i int) ttrace {
		calls := seq(0, mk("a", lat(i, "a", 5, 40)), mk("b", lat(i, "b", 5, 40)), mk("c", lat(i, "c", 5, 40)))
		// b's clock is 4.5 ms behind, more than the skew tolerance: when its
		// client span is missing, its server span's times must be moved
		// back onto the gateway's clock to keep the order.
		calls[0].skew, calls[1].skew, calls[2].skew = 1.8, -4.5, 1.2
		calls[1].noClient = i%5 == 0
		return ttrace{op: "checkout", calls: calls}
	}},
	{name: "generic root", journey: "gateway checkout", n: 200, want: "Series(a, b)", gen: func(i int) ttrace {
		op := "checkout"
		if i%4 == 3 {
			op = "search"
		}
		return ttrace{op: op, wrap: true, calls: seq(0, mk("a", lat(i, "a", 5, 40)), mk("b", lat(i, "b", 5, 40)))}
	}, check: func(t *testing.T, m *Model) {
		if m.Traces != 150 || m.Journey != "checkout" {
			t.Errorf("selected %d instances of %q, want 150 of checkout", m.Traces, m.Journey)
		}
	}},
}

// race returns the calls of Race(hedge; a, b): b starts at hedge (ms)
// unless a answered first; the first answer wins and the other call is
// cancelled then.
func race(hedge, a, b float64) []tcall {
	if hedge > 0 && a <= hedge {
		return []tcall{{peer: "a", end: a}}
	}
	bs, be := hedge, hedge+b
	if a < be {
		return []tcall{{peer: "a", end: a}, {peer: "b", start: bs, end: a, errType: "cancelled"}}
	}
	return []tcall{{peer: "a", end: be, errType: "cancelled"}, {peer: "b", start: bs, end: be}}
}

// kofn returns the calls of KofN(k; …) over the given latencies: at the
// k-th answer the others are cancelled.
func kofn(k int, lats map[string]float64) []tcall {
	ds := make([]float64, 0, len(lats))
	for _, d := range lats {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	at := ds[k-1]
	var out []tcall
	for _, name := range []string{"a", "b", "c"} {
		c := tcall{peer: name, end: lats[name]}
		if c.end > at {
			c.end, c.errType = at, "cancelled"
		}
		out = append(out, c)
	}
	return out
}

func nodeByPath(m *Model, path string) NodeInfo {
	for _, n := range m.Nodes {
		if n.Path == path {
			return n
		}
	}
	return NodeInfo{}
}

func component(m *Model, name string) *Component {
	for i := range m.Components {
		if m.Components[i].Name == name {
			return &m.Components[i]
		}
	}
	return nil
}

// build adds the pattern's traces to a Builder and infers the model.
func (p pattern) build(t *testing.T) *Model {
	t.Helper()
	b := NewBuilder(Options{Journey: cmpOr(p.journey, "checkout")})
	for i := range p.n {
		b.Add("hand-made", p.gen(i).spans(i))
	}
	m, err := b.Model()
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	return m
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestPatterns infers each hand-made pattern and compares the tree with
// the expected one (up to the equivalences of equiv_test.go; Cond
// probabilities must lie in the reported intervals).
func TestPatterns(t *testing.T) {
	for _, p := range patterns {
		t.Run(p.name, func(t *testing.T) {
			m := p.build(t)
			want, errs := journey.Parse(p.want, diag.Pos{})
			if errs.HasErrors() {
				t.Fatalf("bad want %q", p.want)
			}
			if d, ps := compare(normalize(want), normalize(m.Root), ""); d != "" || len(ps) > 0 {
				t.Errorf("got %s, want %s: %s %v", m.Root, p.want, d, ps)
			}
			checkValid(t, m)
			if p.check != nil {
				p.check(t, m)
			}
		})
	}
}

// checkValid checks that the model's tree validates and that every
// confidence lies in [0, 1].
func checkValid(t *testing.T, m *Model) {
	t.Helper()
	comps := map[string]bool{}
	for _, c := range m.Components {
		comps[c.Name] = true
		if !(c.Confidence >= 0 && c.Confidence <= 1) {
			t.Errorf("component %s confidence %v", c.Name, c.Confidence)
		}
	}
	if errs := journey.Validate(m.Root, comps, nil); errs.HasErrors() {
		t.Errorf("invalid tree %s: %v", m.Root, errs.Err())
	}
	for _, n := range m.Nodes {
		if !(n.Confidence >= 0 && n.Confidence <= 1) || n.Path == "" || !strings.HasPrefix(n.Path, journey.Label(m.Root)) {
			t.Errorf("node %+v", n)
		}
		if n.Traces == 0 || len(n.Examples) == 0 {
			t.Errorf("node %s (%s) has no provenance", n.Path, n.Kind)
		}
	}
	if !(m.Confidence >= 0 && m.Confidence <= 1) {
		t.Errorf("model confidence %v", m.Confidence)
	}
}
