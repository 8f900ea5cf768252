// Package sim is emac's Monte Carlo ground truth: it plays requests through
// a journey's operator tree, drawing every call's outcome and latency from a
// joint law, and estimates the journey's availability and the latency
// distribution of its successful requests. It shares no code with the
// analytic formulas of packages compute and dist, so each checks the
// other; the leaf latency laws of package law are its only input besides
// the tree.
//
// The joint laws are independence and a Gaussian copula with loading
// ρ ∈ [0, 1]. Under the copula every request draws two standard normal
// factors per failure domain d, Z_d for failures and W_d for latencies
// (each component also being its own implicit domain "component:NAME"); a
// call of component c with domains D(c) computes
//
//	X = √ρ · Σ_{d∈D(c)} Z_d / √|D(c)| + √(1−ρ) · ε,
//	Y = √ρ · Σ_{d∈D(c)} W_d / √|D(c)| + √(1−ρ) · η,   ε, η ~ N(0, 1) fresh per call,
//
// succeeds iff Φ(X) < a_c, the component's point availability, and then
// takes Latency.Quantile(Φ(Y)) seconds (0 s when the component has no
// latency law). Calls of one component within a request (retries,
// repeated references) share the domain factors and draw new ε and η;
// under independence every call is a fresh Bernoulli(a_c) with a fresh
// latency. Failures and latencies are independent of each other.
//
// Each node returns its success and its finish time after it started:
// Series sums and Parallel takes the maximum of its children's times,
// failing at the first failure; Cond plays one branch with the
// probabilities of BranchProbabilities; Race starts branch i (from 0) at
// i·hedgeAfter and finishes at the earliest success; KofN finishes at the
// k-th smallest finish time of its successful branches. Timeout(τ; N, M)
// returns N when N succeeds within τ; otherwise — N slow, or failed, a
// failure being assumed detected at the deadline — the fallback M starts at
// τ. Retry(n, τ, b; N) starts attempt j at j·(τ+b) and returns the first
// attempt that succeeds within τ. When a Timeout or Retry declares
// TimeoutProbability, a successful attempt within τ is also late with that
// probability, drawn independently (the declared override for journeys
// without latency evidence); a late attempt counts as failed.
//
// Results are deterministic for a given seed and sample count, whatever the
// number of workers: samples are cut into fixed blocks, each with its own
// PCG stream seeded by (seed, block index).
package sim

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emac-dev/emac/internal/model"
)

// blockSize is the number of requests simulated with one random stream.
const blockSize = 1 << 14

// Correlation selects the joint law of calls' failures and latencies. The
// zero value is independence.
type Correlation struct {
	// Copula selects the Gaussian copula; otherwise calls are independent.
	Copula bool
	// Rho is the copula loading in [0, 1]; 1 makes calls that share all
	// their domains fail together and be slow together.
	Rho float64
	// Shock, in (0, 1], selects common shocks instead: every failure
	// domain (each component being its own too) is down in a request with
	// probability Shock·min over its members of 1 − a_c^{1/|D(c)|}, taking
	// every call of its members down; intact calls fail independently with
	// the probability that keeps each availability a_c. Latencies are
	// independent.
	Shock float64
}

// Independent returns the independent failure law.
func Independent() Correlation { return Correlation{} }

// Gaussian returns the Gaussian copula with loading rho.
func Gaussian(rho float64) Correlation { return Correlation{Copula: true, Rho: rho} }

// Shocks returns the common-shock law of intensity f in (0, 1].
func Shocks(f float64) Correlation { return Correlation{Shock: f} }

// String renders the law as accepted by ParseCorrelation.
func (c Correlation) String() string {
	if c.Shock > 0 {
		return "shock=" + strconv.FormatFloat(c.Shock, 'g', -1, 64)
	}
	if !c.Copula {
		return "independent"
	}
	return "rho=" + strconv.FormatFloat(c.Rho, 'g', -1, 64)
}

// ParseCorrelation reads "independent", "shared" (the copula with ρ = 1),
// "rho=R" with R in [0, 1] or "shock=F" (common shocks of intensity F in
// (0, 1]).
func ParseCorrelation(s string) (Correlation, error) {
	switch s {
	case "independent":
		return Independent(), nil
	case "shared":
		return Gaussian(1), nil
	}
	if v, ok := strings.CutPrefix(s, "shock="); ok {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || !(f > 0 && f <= 1) {
			return Correlation{}, fmt.Errorf("correlation %q: the shock intensity must be a number in (0, 1]", s)
		}
		return Shocks(f), nil
	}
	if v, ok := strings.CutPrefix(s, "rho="); ok {
		rho, err := strconv.ParseFloat(v, 64)
		if err != nil || rho < 0 || rho > 1 {
			return Correlation{}, fmt.Errorf("correlation %q: rho must be a number in [0, 1]", s)
		}
		return Gaussian(rho), nil
	}
	return Correlation{}, fmt.Errorf("correlation %q: want independent, shared, rho=R or shock=F", s)
}

// Options configures a simulation.
type Options struct {
	// Samples is the number of simulated requests (> 0).
	Samples int
	// Seed selects the random streams.
	Seed uint64
	// Correlation is the joint law of calls' failures and latencies.
	Correlation Correlation
	// Workers is the number of goroutines; 0 means GOMAXPROCS. The result
	// does not depend on it.
	Workers int
	// Progress, when set, is called with the number of requests simulated
	// so far and Samples: at most every 100 ms while the
	// simulation runs, and once with done == total at the end. Calls are
	// serialized and done increases; the callback should return quickly.
	Progress func(done, total int)
}

// Result is a Monte Carlo estimate of a journey's availability and of the
// latency distribution of its successful requests.
type Result struct {
	// Samples is the number of simulated requests.
	Samples int `json:"samples"`
	// Successes is how many of them succeeded.
	Successes int `json:"successes"`
	// Availability is Successes/Samples.
	Availability float64 `json:"availability"`
	// StdErr is the estimate's standard error √(A(1−A)/Samples).
	StdErr float64 `json:"availabilityStdErr"`
	// Correlation is the joint law used, as Correlation.String renders it.
	Correlation string `json:"correlation"`
	// Latencies are the finish times in seconds of the successful
	// requests, sorted ascending (len == Successes). Quantile, Quantiles
	// and CDF read them.
	Latencies []float64 `json:"-"`
}

// Simulate estimates j's availability and the latency distribution of its
// successful requests by playing opts.Samples requests through its tree.
// Cond probabilities must already be bound. It keeps every successful
// request's latency: 8 bytes a sample, plus as much again while merging.
func Simulate(j *model.Journey, opts Options) (Result, error) {
	if opts.Samples <= 0 {
		return Result{}, errors.New("simulate: samples must be positive")
	}
	corr := opts.Correlation
	if corr.Copula && !(corr.Rho >= 0 && corr.Rho <= 1) {
		return Result{}, fmt.Errorf("simulate: rho %v must lie in [0, 1]", corr.Rho)
	}
	p, err := compile(j, corr)
	if err != nil {
		return Result{}, err
	}
	blocks := (opts.Samples + blockSize - 1) / blockSize
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, blocks)
	// Block b writes its successes' finish times to the front of its own
	// window of times and sorts them; the sorted runs are merged at the end.
	times := make([]float64, opts.Samples)
	counts := make([]int, blocks)
	prog := newProgress(opts.Progress, opts.Samples)
	var next atomic.Int64
	var wg sync.WaitGroup
	var crashed atomic.Value // a worker's panic, reported as an error
	for range workers {
		wg.Go(func() {
			defer func() {
				if r := recover(); r != nil {
					crashed.Store(fmt.Sprint(r))
					next.Store(int64(blocks)) // stop the other workers
				}
			}()
			w := newWalker(p, corr)
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				win := times[b*blockSize : min((b+1)*blockSize, opts.Samples)]
				k := w.block(opts.Seed, uint64(b), win)
				slices.Sort(win[:k])
				counts[b] = k
				prog.add(len(win))
			}
		})
	}
	wg.Wait()
	if r := crashed.Load(); r != nil {
		return Result{}, fmt.Errorf("internal error in the simulator: %v", r)
	}
	lat := mergeRuns(times, counts, blockSize)
	a := float64(len(lat)) / float64(opts.Samples)
	return Result{
		Samples:      opts.Samples,
		Successes:    len(lat),
		Availability: a,
		StdErr:       math.Sqrt(a * (1 - a) / float64(opts.Samples)),
		Correlation:  corr.String(),
		Latencies:    lat,
	}, nil
}
