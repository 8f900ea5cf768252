package compute

import "github.com/emac-dev/emac/internal/model"

// AvailabilityWithLate computes j's availability interval with its
// derivation trace, as Availability does, and the late fractions of its
// timed Timeout and Retry nodes, the values A+ and A− used (as
// LatencyResult.Late lists them): what the live rules and their unit
// tests are generated from, without the latency quantiles, shares and
// contributors Evaluate also computes.
func AvailabilityWithLate(j *model.Journey) (AvailabilityResult, []LateFraction, error) {
	e, lat, err := prepare(j, prepOpts{})
	if err != nil {
		return AvailabilityResult{}, nil, err
	}
	return e.availability(), lat.LateFractions(), nil
}
