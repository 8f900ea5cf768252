package crosscheck

import (
	"testing"

	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/spec/spectest"
	"github.com/emac-dev/emac/internal/testenv"
)

// TestExamplesMatchSimulation runs the latency cross-check on every bundled
// example and fixture journey with latency evidence.
func TestExamplesMatchSimulation(t *testing.T) {
	samples := testenv.Size(t, 1_000_000, 250_000)
	if testing.Short() {
		samples = 200_000
	}
	acc := newAccuracy()
	js := spectest.Load(t, "../../examples", "../spec/testdata/all-operators.good.yaml")
	for _, j := range js {
		if j.Objective.Latency == nil {
			j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
		}
		if !hasLatency(j) {
			continue
		}
		if !checkJourney(t, j.Name, j, samples, samples/5, acc) {
			t.Errorf("%s: mostly failing journey", j.Name)
		}
	}
	acc.report(t)
	if len(acc.errs[0.99]) < 3 {
		t.Errorf("only %d example journeys checked", len(acc.errs[0.99]))
	}
}

func hasLatency(j *model.Journey) bool {
	for _, c := range j.Components {
		if c.Latency != nil {
			return true
		}
	}
	return false
}
