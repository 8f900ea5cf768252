package compute_test

import (
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Tree builders for tests.

func leaf(name string) journey.Node { return &journey.Leaf{Name: name} }

func skip() journey.Node { return &journey.Skip{} }

func series(steps ...journey.Node) journey.Node { return &journey.Series{Steps: steps} }

func parallel(b ...journey.Node) journey.Node { return &journey.Parallel{Branches: b} }

func race(b ...journey.Node) journey.Node { return &journey.Race{Branches: b} }

func kofn(k int, b ...journey.Node) journey.Node { return &journey.KofN{K: k, Branches: b} }

// cond builds a Cond with point probabilities.
func cond(p []float64, b ...journey.Node) journey.Node {
	c := &journey.Cond{Branches: b}
	for _, x := range p {
		c.Probs = append(c.Probs, journey.Prob{Lo: x, Hi: x})
	}
	return c
}

// condBox builds a Cond with probability intervals [lo_i, hi_i].
func condBox(lo, hi []float64, b ...journey.Node) journey.Node {
	c := &journey.Cond{Branches: b}
	for i := range lo {
		c.Probs = append(c.Probs, journey.Prob{Lo: lo[i], Hi: hi[i]})
	}
	return c
}

func ptr(x float64) *float64 { return &x }

func timeout(tp *float64, primary journey.Node, fallback ...journey.Node) journey.Node {
	t := &journey.Timeout{Timeout: 0.2, Primary: primary, TimeoutProbability: tp}
	if len(fallback) > 0 {
		t.Fallback = fallback[0]
	}
	return t
}

func retry(n int, tp *float64, target journey.Node) journey.Node {
	return &journey.Retry{Attempts: n, PerTryTimeout: 0.1, Target: target, TimeoutProbability: tp}
}

// comp describes a test component: point and lower availability (lower 0
// means equal to point) and declared domains.
type comp struct {
	a, lower float64
	domains  []string
}

func journeyOf(root journey.Node, comps map[string]comp) *model.Journey {
	j := &model.Journey{Name: "test", Root: root, Components: map[string]*model.Component{}}
	for name, c := range comps {
		lo := c.lower
		if lo == 0 {
			lo = c.a
		}
		j.Components[name] = &model.Component{
			Name:         name,
			Availability: model.Availability{Point: c.a, Lower: lo, Source: "inline"},
			Domains:      c.domains,
		}
	}
	return j
}

// checkout is the seed paper's artifact journey.
func checkout() *model.Journey {
	k8s := []string{"k8s/zone", "k8s/cluster"}
	pay := []string{"payment-network"}
	return journeyOf(
		series(leaf("front"), parallel(leaf("cart"), leaf("pricing")), race(leaf("paya"), leaf("payb"))),
		map[string]comp{
			"front":   {a: 0.9995, domains: k8s},
			"cart":    {a: 0.999, domains: k8s},
			"pricing": {a: 0.999, domains: k8s},
			"paya":    {a: 0.995, domains: pay},
			"payb":    {a: 0.995, domains: pay},
		})
}
