package sim_test

import (
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

// benchJourney is a ten-leaf journey using every operator but KofN and
// every kind of latency law:
//
//	Series(edge, auth, Parallel(profile, recs), Cond(0.8; cache, catalog),
//	       Timeout(200ms; Race(hedge=50ms; paya, payb), queue), Retry(3, 100ms, 10ms; db))
func benchJourney(tb testing.TB) *model.Journey {
	hist, err := law.NewHistogram([]float64{0.005, 0.01, 0.025, 0.05, 0.1}, []float64{100, 400, 300, 150, 40, 10})
	if err != nil {
		tb.Fatal(err)
	}
	qs, err := law.NewQuantiles([]law.Point{{P: 0.5, Seconds: 0.02}, {P: 0.9, Seconds: 0.05}, {P: 0.99, Seconds: 0.12}})
	if err != nil {
		tb.Fatal(err)
	}
	comps := []struct {
		name string
		a    float64
		lat  law.Law
		doms []string
	}{
		{"edge", 0.9999, law.Lognormal{Median: 0.005, Sigma: 0.3}, []string{"cluster"}},
		{"auth", 0.9995, law.Exponential{Mean: 0.01}, []string{"cluster"}},
		{"profile", 0.999, hist, []string{"cluster", "db-zone"}},
		{"recs", 0.995, qs, []string{"cluster"}},
		{"cache", 0.9994, law.Lognormal{Median: 0.002, Sigma: 0.6}, []string{"cluster"}},
		{"catalog", 0.999, law.Lognormal{Median: 0.045, Sigma: 0.5}, []string{"cluster", "db-zone"}},
		{"paya", 0.995, law.Lognormal{Median: 0.08, Sigma: 0.5}, []string{"payment-network"}},
		{"payb", 0.99, law.Lognormal{Median: 0.09, Sigma: 0.5}, []string{"payment-network"}},
		{"queue", 0.9999, law.Exponential{Mean: 0.02}, []string{"cluster"}},
		{"db", 0.998, law.Lognormal{Median: 0.01, Sigma: 0.8}, []string{"db-zone"}},
	}
	j := &model.Journey{Name: "bench", Components: map[string]*model.Component{}}
	for _, c := range comps {
		j.Components[c.name] = &model.Component{Name: c.name, Availability: model.Availability{Point: c.a, Lower: c.a},
			Latency: c.lat, Domains: c.doms}
	}
	j.Root = &journey.Series{Steps: []journey.Node{
		leaf("edge"), leaf("auth"),
		&journey.Parallel{Branches: []journey.Node{leaf("profile"), leaf("recs")}},
		&journey.Cond{Probs: points(0.8, 0.2), Branches: []journey.Node{leaf("cache"), leaf("catalog")}},
		&journey.Timeout{Timeout: 0.2, Fallback: leaf("queue"),
			Primary: &journey.Race{HedgeAfter: 0.05, Branches: []journey.Node{leaf("paya"), leaf("payb")}}},
		&journey.Retry{Attempts: 3, PerTryTimeout: 0.1, Backoff: 0.01, Target: leaf("db")},
	}}
	return j
}

// BenchmarkSimulate simulates benchJourney and reports the wall time per
// request, with all of GOMAXPROCS and with one worker, under independence
// and under the Gaussian copula.
func BenchmarkSimulate(b *testing.B) {
	const n = 1 << 18
	j := benchJourney(b)
	for _, bc := range []struct {
		name    string
		corr    sim.Correlation
		workers int
	}{
		{"independent", sim.Independent(), 0},
		{"independent/1worker", sim.Independent(), 1},
		{"rho=0.5", sim.Gaussian(0.5), 0},
		{"rho=0.5/1worker", sim.Gaussian(0.5), 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := sim.Options{Samples: n, Seed: 1, Correlation: bc.corr, Workers: bc.workers}
			for b.Loop() {
				if _, err := sim.Simulate(j, opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/request")
		})
	}
}
