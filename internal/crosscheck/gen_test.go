package crosscheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// promBuckets are the default Prometheus client histogram buckets.
var promBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// randomJourney builds a journey of about `leaves` calls using every
// operator; components have availability in [0.99, 0.9999], lognormal or
// histogram latency, and 0–2 failure domains out of three.
func randomJourney(r *rand.Rand, leaves int, quantile float64) *model.Journey {
	j := &model.Journey{
		Name:       "random",
		Components: map[string]*model.Component{},
		Objective:  model.Objective{Availability: 0.99, Window: "30d", Latency: &model.LatencyObjective{Quantile: quantile, ThresholdSeconds: 1}},
		Governance: model.Governance{AvailabilityBound: "pessimistic", LatencyBound: "upperConfidence", MinConfidence: 0.8, ConfidenceLevel: 0.95},
	}
	g := &gen{r: r, j: j}
	for i := range 2 + leaves/2 {
		g.component(fmt.Sprintf("c%d", i))
	}
	j.Root = g.node(leaves, 0)
	return j
}

type gen struct {
	r     *rand.Rand
	j     *model.Journey
	names []string
}

func (g *gen) component(name string) {
	r := g.r
	a := 0.99 + 0.0099*r.Float64()
	median := 0.005 + 0.2*r.Float64()
	sigma := 0.2 + 0.8*r.Float64()
	var lw law.Law = law.Lognormal{Median: median, Sigma: sigma}
	if r.IntN(3) == 0 {
		lw = histogramOf(lw.(law.Lognormal), 2000+r.IntN(20000))
	}
	var doms []string
	for range r.IntN(3) {
		doms = append(doms, fmt.Sprintf("d%d", r.IntN(3)))
	}
	g.j.Components[name] = &model.Component{Name: name, Availability: model.Availability{Point: a, Lower: a},
		Domains: doms, Latency: lw, MissingData: "ignore"}
	g.names = append(g.names, name)
}

// histogramOf bins n observations of a lognormal into Prometheus buckets
// (expected counts, rounded).
func histogramOf(l law.Lognormal, n int) law.Law {
	counts := make([]float64, len(promBuckets)+1)
	prev := 0.0
	for i, b := range promBuckets {
		c := l.CDF(b)
		counts[i] = math.Round(float64(n) * (c - prev))
		prev = c
	}
	counts[len(promBuckets)] = math.Round(float64(n) * (1 - prev))
	h, err := law.NewHistogram(promBuckets, counts)
	if err != nil {
		panic(err)
	}
	return h
}

func (g *gen) leaf() journey.Node {
	if g.r.IntN(15) == 0 {
		return &journey.Skip{}
	}
	return &journey.Leaf{Name: g.names[g.r.IntN(len(g.names))]}
}

// ms returns a random duration in whole milliseconds within [lo, hi] seconds.
func (g *gen) ms(lo, hi float64) float64 {
	return math.Round(1000*(lo+(hi-lo)*g.r.Float64())) / 1000
}

func (g *gen) node(leaves, depth int) journey.Node {
	r := g.r
	if leaves <= 1 || depth > 4 {
		return g.leaf()
	}
	split := func(k int) []journey.Node {
		out := make([]journey.Node, k)
		for i := range out {
			out[i] = g.node(max(1, leaves/k), depth+1)
		}
		return out
	}
	switch r.IntN(7) {
	case 0:
		return &journey.Series{Steps: split(2 + r.IntN(2))}
	case 1:
		return &journey.Parallel{Branches: split(2 + r.IntN(2))}
	case 2:
		return g.cond(split(2 + r.IntN(2)))
	case 3:
		hedge := 0.0
		if r.IntN(2) == 0 {
			hedge = g.ms(0.01, 0.1)
		}
		return &journey.Race{HedgeAfter: hedge, Branches: split(2)}
	case 4:
		bs := split(2 + r.IntN(3))
		return &journey.KofN{K: 1 + r.IntN(len(bs)), Branches: bs}
	case 5:
		t := &journey.Timeout{Timeout: g.ms(0.05, 0.6), Primary: g.node(leaves/2, depth+1)}
		if r.IntN(3) > 0 {
			t.Fallback = g.node(leaves/2, depth+1)
		}
		return t
	}
	return &journey.Retry{Attempts: 1 + r.IntN(3), PerTryTimeout: g.ms(0.05, 0.6),
		Backoff: g.ms(0, 0.02), Target: g.node(leaves-1, depth+1)}
}

func (g *gen) cond(bs []journey.Node) journey.Node {
	c := &journey.Cond{Branches: bs}
	rest := 100 // in hundredths, so the probabilities sum to exactly 1
	for i := range bs {
		p := rest
		if i < len(bs)-1 {
			p = g.r.IntN(rest + 1)
		}
		rest -= p
		c.Probs = append(c.Probs, journey.Prob{Lo: float64(p) / 100, Hi: float64(p) / 100})
	}
	return c
}
