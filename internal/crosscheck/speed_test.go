package crosscheck

import (
	"math"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAnalyticVsSimulate measures (issue 10) how much less CPU the
// analytic evaluation (compute.Evaluate: both availability bounds, the
// three latency numbers, contributors) takes than the simulator at equal
// accuracy: the fewest samples (doubling from 10,000) for which the
// simulated p99 lies within 1 % of the reference p99 (4,000,000 samples)
// for 10 of 10 seeds, single-threaded. It prints the ratio per journey of
// 30 and 40 calls and their geometric mean; scripts/bench-vs-simulate runs
// it once (-benchtime 1x), with nothing else on the machine if the figures
// are to mean anything.
func BenchmarkAnalyticVsSimulate(b *testing.B) {
	for b.Loop() {
		analyticVsSimulate(b)
	}
}

func analyticVsSimulate(t testing.TB) {
	r := rand.New(rand.NewPCG(30, 40))
	var logs []float64
	for i := range 10 {
		leaves := 30 + 10*(i%2)
		j := randomJourney(r, leaves, 0.99)
		j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
		evalCPU := medianCPU(func() {
			if _, err := compute.Evaluate(j); err != nil {
				t.Fatal(err)
			}
		})
		ref, err := sim.Simulate(j, sim.Options{Samples: 4_000_000, Seed: 99})
		if err != nil {
			t.Fatal(err)
		}
		truth := ref.Quantile(0.99)
		n, simCPU := samplesFor(t, j, truth)
		ratio := float64(simCPU) / float64(evalCPU)
		logs = append(logs, math.Log(ratio))
		t.Logf("journey %d (%d calls): eval %v CPU; simulate needs %d samples for p99 within 1%% in 10 of 10 seeds, %v CPU: ratio %.0f",
			i, leaves, evalCPU, n, simCPU, ratio)
	}
	var s float64
	for _, l := range logs {
		s += l
	}
	t.Logf("geometric mean ratio %.0f (target ≥ 100)", math.Exp(s/float64(len(logs))))
}

// medianCPU returns the median CPU time of five runs of f.
func medianCPU(f func()) time.Duration {
	var ds []time.Duration
	for range 5 {
		c := cpuTime()
		f()
		ds = append(ds, cpuTime()-c)
	}
	slices.Sort(ds)
	return ds[2]
}

// samplesFor returns the fewest samples (doubling from 10,000) whose
// simulated p99 is within 1 % of truth for seeds 1–10, and the CPU one
// single-threaded simulation of that size takes.
func samplesFor(t testing.TB, j *model.Journey, truth float64) (int, time.Duration) {
	for n := 10_000; ; n *= 2 {
		ok := true
		var cpu time.Duration
		for seed := range 10 {
			c := cpuTime()
			res, err := sim.Simulate(j, sim.Options{Samples: n, Seed: uint64(seed + 1), Workers: 1})
			cpu += cpuTime() - c
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(res.Quantile(0.99)/truth-1) > 0.01 {
				ok = false
				break
			}
		}
		if ok || n >= 8_000_000 {
			return n, cpu / 10
		}
	}
}
