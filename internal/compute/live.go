package compute

import (
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// AvailabilityWithLate computes j's availability interval with its
// derivation trace, as Availability does, and the late fractions of its
// timed Timeout and Retry nodes, the values A+ and A− used (as
// LatencyResult.Late lists them): what the live rules and their unit
// tests are generated from, without the latency quantiles, shares and
// contributors Evaluate also computes.
func AvailabilityWithLate(j *model.Journey) (AvailabilityResult, []LateFraction, error) {
	t, _, err := prepare(j, prepOpts{})
	if err != nil {
		return AvailabilityResult{}, nil, err
	}
	return t.availability(), t.lateFractions(), nil
}

// lateFractions lists the late fractions of t's timed nodes, in node
// order.
func (t *tree) lateFractions() []LateFraction {
	var out []LateFraction
	for i := range t.nodes {
		n := &t.nodes[i]
		if !n.lateTimed {
			continue
		}
		lf := LateFraction{Path: n.path, Kind: journey.Kind(n.src), DeadlineSeconds: deadlineOf(n),
			Estimate: n.latePlus, Pessimistic: n.lateMinus, LowerOnTime: n.onTimeLow}
		if n.tpSet {
			d := n.tp
			lf.Declared = &d
		}
		out = append(out, lf)
	}
	return out
}
