package compute_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

// genOptions shapes a random journey.
type genOptions struct {
	leaves    int  // leaf and skip nodes in the tree
	pool      int  // components to draw leaves from (repeats are likely)
	domains   int  // failure domains to assign components from
	intervals bool // some Cond probabilities are intervals
	laws      bool // components get latency laws (lognormal or histogram)
	// prefix starts every component and domain name, so that journeys
	// generated with different prefixes share nothing.
	prefix string
}

// genJourney returns a random journey using every operator: components
// with availabilities in [0.9, 0.9999] (point = lower) and 0–2 domains
// from the pool, random late fractions (or none), random branch
// probabilities.
func genJourney(r *rand.Rand, o genOptions) *model.Journey {
	j := &model.Journey{Name: "random", Components: map[string]*model.Component{}}
	g := &generator{r: r, o: o}
	for i := range o.pool {
		name := fmt.Sprintf("%sc%d", o.prefix, i)
		a := 0.9 + 0.0999*r.Float64()
		var doms []string
		for range r.IntN(3) {
			doms = append(doms, fmt.Sprintf("%sd%d", o.prefix, r.IntN(o.domains)))
		}
		j.Components[name] = &model.Component{
			Name:         name,
			Availability: model.Availability{Point: a, Lower: a},
			Domains:      doms,
		}
		if o.laws {
			j.Components[name].Latency = genLaw(r)
		}
		g.names = append(g.names, name)
	}
	j.Root = g.node(o.leaves, 0)
	return j
}

// promBuckets are Prometheus' default histogram bounds.
var promBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// genLaw returns a lognormal law (median 5–80 ms, σ 0.2–1) or, half the
// time, a histogram of 1,000–100,000 observations of such a law in
// Prometheus' default buckets.
func genLaw(r *rand.Rand) law.Law {
	ln := law.Lognormal{Median: 0.005 + 0.075*r.Float64(), Sigma: 0.2 + 0.8*r.Float64()}
	if r.IntN(2) == 0 {
		return ln
	}
	n := math.Round(math.Pow(10, 3+2*r.Float64()))
	counts := make([]float64, len(promBuckets)+1)
	prev := 0.0
	for i, b := range promBuckets {
		c := ln.CDF(b)
		counts[i] = math.Round(n * (c - prev))
		prev = c
	}
	counts[len(promBuckets)] = math.Round(n * (1 - prev))
	h, err := law.NewHistogram(promBuckets, counts)
	if err != nil {
		panic(err)
	}
	return h
}

type generator struct {
	r     *rand.Rand
	o     genOptions
	names []string
}

func (g *generator) node(leaves, depth int) journey.Node {
	r := g.r
	if leaves <= 1 {
		if r.IntN(12) == 0 {
			return &journey.Skip{}
		}
		return &journey.Leaf{Name: g.names[r.IntN(len(g.names))]}
	}
	switch op := r.IntN(7); {
	case op == 5 && depth < 6: // Retry takes the whole budget
		return &journey.Retry{Attempts: 1 + r.IntN(3), PerTryTimeout: 0.1,
			TimeoutProbability: g.tp(), Target: g.node(leaves, depth+1)}
	case op == 6 && depth < 6 && r.IntN(3) == 0: // Timeout without fallback
		return &journey.Timeout{Timeout: 0.2, TimeoutProbability: g.tp(), Primary: g.node(leaves, depth+1)}
	case op == 6:
		parts := g.split(leaves, 2)
		return &journey.Timeout{Timeout: 0.2, TimeoutProbability: g.tp(),
			Primary: g.node(parts[0], depth+1), Fallback: g.node(parts[1], depth+1)}
	}
	kids := g.children(leaves, depth)
	switch r.IntN(5) {
	case 0:
		return &journey.Series{Steps: kids}
	case 1:
		return &journey.Parallel{Branches: kids}
	case 2:
		return &journey.Race{Branches: kids}
	case 3:
		return &journey.KofN{K: 1 + r.IntN(len(kids)), Branches: kids}
	}
	return &journey.Cond{Branches: kids, Probs: g.probs(len(kids))}
}

func (g *generator) children(leaves, depth int) []journey.Node {
	parts := g.split(leaves, 2+g.r.IntN(min(leaves, 4)-1))
	kids := make([]journey.Node, len(parts))
	for i, p := range parts {
		kids[i] = g.node(p, depth+1)
	}
	return kids
}

// split cuts n into m positive parts.
func (g *generator) split(n, m int) []int {
	parts := make([]int, m)
	for i := range parts {
		parts[i] = 1
	}
	for range n - m {
		parts[g.r.IntN(m)]++
	}
	return parts
}

func (g *generator) tp() *float64 {
	if g.r.IntN(2) == 0 {
		return nil
	}
	x := 0.3 * g.r.Float64()
	return &x
}

// probs returns random branch probabilities summing to 1, some widened to
// intervals that contain them.
func (g *generator) probs(k int) []journey.Prob {
	w := make([]float64, k)
	var sum float64
	for i := range w {
		w[i] = 0.05 + g.r.Float64()
		sum += w[i]
	}
	out := make([]journey.Prob, k)
	for i := range w {
		p := w[i] / sum
		out[i] = journey.Prob{Lo: p, Hi: p}
		if g.o.intervals && g.r.IntN(2) == 0 {
			out[i].Lo = max(0, p-0.2*g.r.Float64())
			out[i].Hi = min(1, p+0.2*g.r.Float64())
		}
	}
	return out
}
