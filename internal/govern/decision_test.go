package govern

import (
	"math"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

func newJourney(target float64, bound string, disc *model.Discovered, review ...string) *model.Journey {
	return &model.Journey{
		Name:       "j",
		Objective:  model.Objective{Availability: target, Window: "30d", Latency: &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 0.4}},
		Governance: model.Governance{AvailabilityBound: bound, LatencyBound: "upperConfidence", MinConfidence: 0.8, ConfidenceLevel: 0.95},
		Discovered: disc,
		Review:     review,
	}
}

// withLeaves gives j the tree Series(a, b) where only a has latency evidence.
func withLeaves(j *model.Journey) *model.Journey {
	j.Root = &journey.Series{Steps: []journey.Node{&journey.Leaf{Name: "a"}, &journey.Leaf{Name: "b"}}}
	j.Components = map[string]*model.Component{
		"a": {Name: "a", Latency: law.Exponential{Mean: 0.01}},
		"b": {Name: "b"},
	}
	return j
}

func newJourney999() *model.Journey {
	j := newJourney(0.99, "pessimistic", nil)
	j.Objective.Latency.Quantile = 0.999
	return j
}

func TestDecide(t *testing.T) {
	low := &model.Discovered{Name: "m", Confidence: 0.78}
	high := &model.Discovered{Name: "m", Confidence: 0.9}
	tests := []struct {
		name    string
		j       *model.Journey
		b       Bounds
		verdict Verdict
		reason  string
	}{
		{"pessimistic below target", newJourney(0.995, "pessimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Fail, "pessimistic A- 0.99250000 is below the target 99.5%"},
		{"both meet", newJourney(0.99, "pessimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Pass, "meets the target"},
		{"optimistic policy, gap", newJourney(0.995, "optimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Review, "shared-fate risk"},
		{"optimistic policy, both miss", newJourney(0.999, "optimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Fail, "optimistic A+"},
		{"low model confidence", newJourney(0.99, "pessimistic", low), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Review, "confidence 0.78, below minConfidence 0.80"},
		{"confident model", newJourney(0.99, "pessimistic", high), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Pass, ""},
		{"domain disagreement", newJourney(0.99, "pessimistic", high, "domains disagree"), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Review, "domains disagree"},
		{"fail keeps review reasons", newJourney(0.995, "pessimistic", low), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925}, Fail, "below minConfidence"},
		{"latency over threshold", newJourney(0.99, "pessimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925, Latency: &LatencyBounds{Estimate: 0.3, UpperConfidence: 0.45, UpperBound: 0.6}}, Fail, "latency: p99 upper confidence bound 0.45s exceeds the threshold 0.4s"},
		{"latency within threshold", newJourney(0.99, "pessimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925, Latency: &LatencyBounds{Estimate: 0.3, UpperConfidence: 0.35, UpperBound: 0.6}}, Pass, ""},
		{"inexact numbers decide nothing", newJourney(0.995, "pessimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925, Inexact: []string{"Retry perTryTimeout 50ms spans fewer than 4 cells"}}, Review, "not computed to the stated accuracy: Retry perTryTimeout"},
		{"unbounded latency", newJourney(0.99, "pessimistic", nil), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925, Latency: &LatencyBounds{Estimate: 0.3, UpperConfidence: math.Inf(1), UpperBound: math.Inf(1)}}, Fail, "upper confidence bound unbounded exceeds the threshold 0.4s"},
		{"p99.9 named", newJourney999(), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925, Latency: &LatencyBounds{Estimate: 0.3, UpperConfidence: 0.45, UpperBound: 0.6}}, Fail, "latency: p99.9 upper"},
		{"latency evidence missing", withLeaves(newJourney(0.99, "pessimistic", nil)), Bounds{Optimistic: 0.9975, Pessimistic: 0.9925, Latency: &LatencyBounds{Estimate: 0.3, UpperConfidence: 0.35, UpperBound: 0.6}}, Review, "no latency evidence for b"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Decide(tc.j, tc.b)
			if d.Verdict != tc.verdict {
				t.Errorf("verdict = %s, want %s (reasons %q)", d.Verdict, tc.verdict, d.Reasons)
			}
			if !strings.Contains(strings.Join(d.Reasons, "\n"), tc.reason) {
				t.Errorf("reasons %q lack %q", d.Reasons, tc.reason)
			}
		})
	}
}
