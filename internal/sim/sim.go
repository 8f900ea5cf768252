// Package sim is emac's Monte Carlo ground truth: it plays requests through
// a journey's operator tree, drawing every call's outcome from a joint
// failure law, and estimates the journey's availability. It shares no code
// with the analytic formulas of package compute, so each checks the other.
//
// The failure laws are independence and a Gaussian copula with loading
// ρ ∈ [0, 1]. Under the copula every request draws one standard normal
// factor Z_d per failure domain d (each component also being its own
// implicit domain "component:NAME"); a call of component c with domains
// D(c) computes
//
//	X = √ρ · Σ_{d∈D(c)} Z_d / √|D(c)| + √(1−ρ) · ε,  ε ~ N(0, 1) fresh per call,
//
// and succeeds iff Φ(X) < a_c, the component's point availability. Calls of
// one component within a request (retries, repeated references) share the
// domain factors and draw a new ε; under independence every call is a fresh
// Bernoulli(a_c).
//
// Timeout and Retry: a successful attempt is late with the node's
// TimeoutProbability (0 when unset), drawn independently; a late attempt
// counts as failed. Cond picks a branch with the probabilities of
// BranchProbabilities.
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
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emac-dev/emac/internal/model"
)

// blockSize is the number of requests simulated with one random stream.
const blockSize = 1 << 14

// Correlation selects the joint failure law of calls. The zero value is
// independence.
type Correlation struct {
	// Copula selects the Gaussian copula; otherwise calls are independent.
	Copula bool
	// Rho is the copula loading in [0, 1]; 1 makes calls that share all
	// their domains fail together.
	Rho float64
}

// Independent returns the independent failure law.
func Independent() Correlation { return Correlation{} }

// Gaussian returns the Gaussian copula with loading rho.
func Gaussian(rho float64) Correlation { return Correlation{Copula: true, Rho: rho} }

// String renders the law as accepted by ParseCorrelation.
func (c Correlation) String() string {
	if !c.Copula {
		return "independent"
	}
	return "rho=" + strconv.FormatFloat(c.Rho, 'g', -1, 64)
}

// ParseCorrelation reads "independent", "shared" (the copula with ρ = 1) or
// "rho=R" with R in [0, 1].
func ParseCorrelation(s string) (Correlation, error) {
	switch s {
	case "independent":
		return Independent(), nil
	case "shared":
		return Gaussian(1), nil
	}
	if v, ok := strings.CutPrefix(s, "rho="); ok {
		rho, err := strconv.ParseFloat(v, 64)
		if err != nil || rho < 0 || rho > 1 {
			return Correlation{}, fmt.Errorf("correlation %q: rho must be a number in [0, 1]", s)
		}
		return Gaussian(rho), nil
	}
	return Correlation{}, fmt.Errorf("correlation %q: want independent, shared or rho=R", s)
}

// Options configures a simulation.
type Options struct {
	// Samples is the number of simulated requests (> 0).
	Samples int
	// Seed selects the random streams.
	Seed uint64
	// Correlation is the joint failure law of calls.
	Correlation Correlation
	// Workers is the number of goroutines; 0 means GOMAXPROCS. The result
	// does not depend on it.
	Workers int
}

// Result is a Monte Carlo availability estimate.
type Result struct {
	// Samples is the number of simulated requests.
	Samples int `json:"samples"`
	// Successes is how many of them succeeded.
	Successes int `json:"successes"`
	// Availability is Successes/Samples.
	Availability float64 `json:"availability"`
	// StdErr is the estimate's standard error √(A(1−A)/Samples).
	StdErr float64 `json:"availabilityStdErr"`
	// Correlation is the failure law used.
	Correlation string `json:"correlation"`
}

// Simulate estimates j's availability by playing opts.Samples requests
// through its tree. Cond probabilities must already be bound.
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
	counts := make([]int, blocks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWalker(p, corr)
			for {
				b := int(next.Add(1) - 1)
				if b >= blocks {
					return
				}
				n := min(blockSize, opts.Samples-b*blockSize)
				counts[b] = w.block(opts.Seed, uint64(b), n)
			}
		}()
	}
	wg.Wait()
	var ok int
	for _, c := range counts {
		ok += c
	}
	a := float64(ok) / float64(opts.Samples)
	return Result{
		Samples:      opts.Samples,
		Successes:    ok,
		Availability: a,
		StdErr:       math.Sqrt(a * (1 - a) / float64(opts.Samples)),
		Correlation:  corr.String(),
	}, nil
}
