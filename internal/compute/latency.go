package compute

import (
	"github.com/emac-dev/emac/internal/compute/latency"
	"github.com/emac-dev/emac/internal/model"
)

// LatencyResult is a journey's latency objective quantile as three numbers
// (DESIGN §3.3) with the curves they are read from.
type LatencyResult = latency.Result

// LatencyGrid describes the uniform working grid t_k = k·StepSeconds.
type LatencyGrid = latency.Grid

// LatencyCurves holds conditional CDFs at the grid points.
type LatencyCurves = latency.Curves

// LateFraction is, for a Timeout or Retry, the fraction of its primary's
// successful answers that arrive after the (per-try) deadline or count as
// late, with the lower bound of the primary's on-time success that caps
// A−.
type LateFraction = latency.LateFraction

// Latency composes j's latency distribution from its leaves and reads the
// objective's quantile as three numbers. It returns nil when j has no
// latency objective or no component has latency evidence. Package latency
// describes how: the grids, the bands and the reads.
func Latency(j *model.Journey) (*LatencyResult, error) {
	e, lat, err := prepare(j, prepOpts{curves: true})
	if err != nil {
		return nil, err
	}
	return lat.Result(e.rootBounds()), nil
}
