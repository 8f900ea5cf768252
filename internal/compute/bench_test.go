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
