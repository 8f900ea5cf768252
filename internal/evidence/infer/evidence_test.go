package infer

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// TestLeafEvidence checks the counts of a leaf: cut and cancelled calls
// are neither good nor bad, the histogram holds the successful calls.
func TestLeafEvidence(t *testing.T) {
	b := NewBuilder(Options{Journey: "checkout"})
	for i := range 400 {
		c := tcall{peer: "a", end: 1 + float64(i%100)/10} // 1.0 … 10.9 ms
		switch i % 8 {
		case 1:
			c.errType = "500"
		case 2:
			c.errType = "timeout"
		case 3:
			c.errType = "cancelled"
		}
		b.Add("f", ttrace{op: "checkout", calls: []tcall{c}}.spans(i))
	}
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	c := m.Components[0]
	if c.Good != 250 || c.Total != 300 || c.Cut != 50 || c.Cancelled != 50 || c.Samples != 250 {
		t.Errorf("counts good %d total %d cut %d cancelled %d samples %d", c.Good, c.Total, c.Cut, c.Cancelled, c.Samples)
	}
	if lo, hi := wilson(250, 300, zFor(0.95)); c.Lower != lo || c.Upper != hi {
		t.Errorf("interval [%v, %v], want [%v, %v]", c.Lower, c.Upper, lo, hi)
	}
	sum := 0.0
	for _, n := range c.Counts {
		sum += n
	}
	if len(c.Counts) != len(c.Bounds)+1 || math.Abs(sum-250) > 0.01 || !slices.IsSorted(c.Bounds) {
		t.Errorf("histogram bounds %v counts %v (sum %v)", c.Bounds, c.Counts, sum)
	}
	if c.Bounds[0] > 0.001 || c.Bounds[len(c.Bounds)-1] < 0.0109 {
		t.Errorf("bounds %v do not cover [1ms, 10.9ms]", c.Bounds)
	}
	if !(c.P99Lo <= c.P99 && c.P99 <= c.P99Hi) || c.P99 < 0.0105 || c.P99 > 0.0109 {
		t.Errorf("p99 %v [%v, %v]", c.P99, c.P99Lo, c.P99Hi)
	}
	if c.Kind != "service" || len(c.Examples) != 3 || !slices.IsSorted(c.Examples) {
		t.Errorf("kind %q examples %v", c.Kind, c.Examples)
	}
}

// TestKaplanMeier checks that censoring calls (cut or cancelled) corrects
// the latency quantile that the successful calls alone underestimate, and
// that a quantile hidden by censoring is reported as such.
func TestKaplanMeier(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const mean = 0.02
	truth := -mean * math.Log(0.01) // p99 of the exponential
	var xs, naive []obs
	for range 20000 {
		x, c := mean*r.ExpFloat64(), 0.05*r.ExpFloat64() // independent censoring
		if x <= c {
			xs = append(xs, obs{t: x, event: true})
			naive = append(naive, obs{t: x, event: true})
		} else {
			xs = append(xs, obs{t: c})
		}
	}
	z := zFor(0.95)
	est, lo, hi, censored := newKM(xs).quantile(0.99, z)
	if censored || !(lo <= truth && truth <= hi) || math.Abs(est-truth)/truth > 0.05 {
		t.Errorf("KM p99 %v [%v, %v] censored=%v, truth %v", est, lo, hi, censored, truth)
	}
	if n, _, _, _ := newKM(naive).quantile(0.99, z); n > 0.9*truth {
		t.Errorf("successful calls alone give %v: the test does not exercise censoring (truth %v)", n, truth)
	}
	var cut []obs
	for range 1000 {
		if x := mean * r.ExpFloat64(); x < 0.03 {
			cut = append(cut, obs{t: x, event: true})
		} else {
			cut = append(cut, obs{t: 0.03})
		}
	}
	if est, _, hi, censored := newKM(cut).quantile(0.99, z); !censored || !math.IsInf(hi, 1) || est != 0.03 {
		t.Errorf("a deadline at 30ms hides the p99: got %v, hi %v, censored %v", est, hi, censored)
	}
}

// TestDomains infers domains from resource attributes and shared
// downstream dependencies.
func TestDomains(t *testing.T) {
	b := NewBuilder(Options{Journey: "checkout"})
	for i := range 100 {
		a := mk("a", 5)
		a.res = map[string]string{trace.AttrK8sNode: "n1", trace.AttrZone: "z1"}
		a.down = []string{"orders-db"}
		bb := mk("b", 5)
		bb.res = map[string]string{trace.AttrK8sNode: "n1", trace.AttrZone: "z2"}
		if i%20 == 0 {
			bb.res[trace.AttrK8sNode] = "n2" // 5 % elsewhere: still a member of n1 only
		}
		bb.down = []string{"orders-db"}
		c := mk("c", 5)
		c.res = map[string]string{trace.AttrZone: "z2"}
		c.noServer = i%2 == 0
		b.Add("f", ttrace{op: "checkout", calls: seq(0, a, bb, c)}.spans(i))
	}
	m, err := b.Model()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range m.Domains {
		got = append(got, d.Name+"="+strings.Join(d.Members, ","))
		if !(d.Confidence > 0 && d.Confidence <= 1) || len(d.Signals) != len(d.Members) {
			t.Errorf("domain %+v", d)
		}
	}
	want := []string{"dependency/postgresql@orders-db=a,b", "node/n1=a,b", "zone/z2=b,c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("domains %v, want %v", got, want)
	}
}

// TestStats checks the small statistics helpers against known values.
func TestStats(t *testing.T) {
	if lo, hi := wilson(0, 10, zFor(0.95)); lo != 0 || math.Abs(hi-0.2775) > 1e-4 {
		t.Errorf("wilson(0, 10) = [%v, %v]", lo, hi)
	}
	if lo, hi := wilson(5, 0, 2); lo != 0 || hi != 1 {
		t.Errorf("wilson without trials = [%v, %v]", lo, hi)
	}
	if z := zFor(0.95); math.Abs(z-1.959964) > 1e-6 {
		t.Errorf("z(0.95) = %v", z)
	}
	ps := pointProbs([]int{1, 1, 1}, 3)
	if sum := ps[0].Lo + ps[1].Lo + ps[2].Lo; math.Abs(sum-1) > 1e-12 || !ps[2].Implicit || ps[0].Lo != 0.3333 {
		t.Errorf("pointProbs %v", ps)
	}
	if med, hi, n := cluster([]int64{1, 50, 51, 52, 100}, 5); med != 51 || hi != 52 || n != 3 {
		t.Errorf("cluster = %v %v %v", med, hi, n)
	}
	if g := groups([]int64{1, 2, 10, 11, 30}, 2); !reflect.DeepEqual(g, [][]int64{{30}, {10, 11}, {1, 2}}) {
		t.Errorf("groups = %v", g)
	}
	if got := histogramBounds(0.0012, 0.0031); !reflect.DeepEqual(got, []float64{0.001, 0.00125, 0.0015, 0.002, 0.0025, 0.003, 0.004}) {
		t.Errorf("histogramBounds = %v", got)
	}
	if w := evidenceWeight(20); w != 0.5 || evidenceWeight(0) != 0 {
		t.Errorf("evidenceWeight(20) = %v", w)
	}
}

// TestStepGap estimates the idle time between Series steps.
func TestStepGap(t *testing.T) {
	var insts []instance
	for i := range 500 {
		g := int64(lat(i, "gap", 0, 200_000)) // 0–0.2 ms in ns
		a := int64(lat(i, "a", 5e6, 20e6))
		insts = append(insts, instance{calls: []call{{comp: 0, end: a}, {comp: 1, start: a + g, end: a + g + 1e6}}})
	}
	if got := stepGap(insts, 1_000_000); got < 200_000 || got > 450_000 {
		t.Errorf("step gap %d ns, want about 0.2–0.45 ms", got)
	}
	if got := stepGap(nil, 1_000_000); got != 1_000_000 {
		t.Errorf("step gap without data %d", got)
	}
}
