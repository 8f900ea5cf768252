package compute

import (
	"github.com/emac-dev/emac/internal/compute/latency"
	"github.com/emac-dev/emac/internal/model"
)

// Evaluation is everything derived for one journey: the availability
// interval, the latency quantiles and the contributors.
type Evaluation struct {
	// Availability is the availability interval with its derivation; its
	// Timeout and Retry late fractions come from latency evidence when
	// there is some.
	Availability AvailabilityResult
	// Latency is nil when the journey has no latency objective or no
	// component has latency evidence.
	Latency *LatencyResult
	// Contributors are Sensitivity's contributors, with LatencyShare set
	// for components with latency evidence when Latency is not nil and the
	// journey has at most 200 leaves with latency evidence.
	Contributors []Contributor
	// Inexact lists why some numbers are not computed to their stated
	// accuracy (e.g. a deadline the latency grid cannot resolve); empty
	// when all are. A decision must then be REVIEW.
	Inexact []string
}

// Evaluate computes j's availability interval, latency quantiles and
// contributors from one flattened tree: the entry point of `emac eval`.
func Evaluate(j *model.Journey) (*Evaluation, error) {
	e, lat, err := prepare(j, prepOpts{curves: true, shares: true, perturb: true})
	if err != nil {
		return nil, err
	}
	ev := &Evaluation{Availability: e.availability(), Contributors: e.sensitivity(), Inexact: lat.Inexact()}
	if ev.Latency = lat.Result(e.rootBounds()); ev.Latency != nil {
		addShares(lat, ev.Latency, ev.Contributors)
	}
	return ev, nil
}

// addShares sets the LatencyShare of every component contributor with
// latency evidence; the latency result's assumptions say why one is not
// set.
func addShares(lat *latency.Model, res *LatencyResult, cs []Contributor) {
	var names []string
	var at []int
	for i, c := range cs {
		if c.Kind == KindComponent {
			names = append(names, c.Name)
			at = append(at, i)
		}
	}
	for k, s := range lat.Shares(res, names) {
		cs[at[k]].LatencyShare = s
	}
}
