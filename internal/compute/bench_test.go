package compute_test

import (
	"math/rand/v2"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/model"
)

// bigJourney is a random 1,000-leaf journey over 300 components and 40
// failure domains.
func bigJourney() *model.Journey {
	r := rand.New(rand.NewPCG(1000, 1))
	return genJourney(r, genOptions{leaves: 1000, pool: 300, domains: 40, intervals: true})
}

// bigLatencyJourney is bigJourney with latency laws (lognormal and
// histogram) and a p99 latency objective.
func bigLatencyJourney() *model.Journey {
	r := rand.New(rand.NewPCG(1000, 2))
	j := genJourney(r, genOptions{leaves: 1000, pool: 300, domains: 40, intervals: true, laws: true})
	j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
	return j
}

// BenchmarkEvaluate1000Leaves runs Evaluate on a 1,000-leaf journey mixing
// every operator with lognormal and histogram leaves: availability with
// late fractions, the three latency quantiles, and contributors (latency
// shares are skipped above 200 latency leaves). Measure the peak memory
// with /usr/bin/time -v on the test binary:
//
//	go test -c -o /tmp/compute.test ./internal/compute
//	/usr/bin/time -v /tmp/compute.test -test.run '^$' -test.bench Evaluate1000 -test.benchtime 5x
func BenchmarkEvaluate1000Leaves(b *testing.B) {
	j := bigLatencyJourney()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compute.Evaluate(j); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate1000LeavesLowerAvailability is
// BenchmarkEvaluate1000Leaves with every lower availability below its
// point value.
func BenchmarkEvaluate1000LeavesLowerAvailability(b *testing.B) {
	j := bigLatencyJourney()
	for _, c := range j.Components {
		c.Availability.Lower = c.Availability.Point - 0.5*(1-c.Availability.Point)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compute.Evaluate(j); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAvailability1000Leaves(b *testing.B) {
	j := bigJourney()
	for b.Loop() {
		if _, err := compute.Availability(j); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSensitivity1000Leaves(b *testing.B) {
	j := bigJourney()
	for b.Loop() {
		if _, err := compute.Sensitivity(j); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBounds1000Leaves(b *testing.B) {
	j := bigJourney()
	for b.Loop() {
		if _, _, err := compute.Bounds(j); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluate10000Leaves is BenchmarkEvaluate1000Leaves at 10,000
// leaves over 3,000 components and 400 failure domains.
func BenchmarkEvaluate10000Leaves(b *testing.B) {
	r := rand.New(rand.NewPCG(10000, 2))
	j := genJourney(r, genOptions{leaves: 10000, pool: 3000, domains: 400, intervals: true, laws: true})
	j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compute.Evaluate(j); err != nil {
			b.Fatal(err)
		}
	}
}
