package sim_test

import (
	"math"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
)

// Latency test components: x, y, z exponential with different means, e1…e3
// identically distributed exponentials, ln lognormal, h a histogram, n
// without latency evidence. p and q share domain "net" and the law of ln.
const (
	ax, mx = 0.99, 0.05
	ay, my = 0.95, 0.1
	az, mz = 0.9, 0.08
	ae, me = 0.9, 0.1
	an     = 0.9
)

var (
	lnLaw   = law.Lognormal{Median: 0.08, Sigma: 0.5}
	histLaw = mustHistogram([]float64{0.01, 0.02, 0.05, 0.1}, []float64{10, 40, 30, 15, 5})
)

func mustHistogram(bounds, counts []float64) *law.Histogram {
	h, err := law.NewHistogram(bounds, counts)
	if err != nil {
		panic(err)
	}
	return h
}

func latJourney(root journey.Node) *model.Journey {
	j := &model.Journey{Name: "lat", Root: root, Components: map[string]*model.Component{}}
	add := func(name string, a float64, l law.Law, doms ...string) {
		j.Components[name] = &model.Component{Name: name, Availability: model.Availability{Point: a, Lower: a},
			Latency: l, Domains: doms}
	}
	add("x", ax, law.Exponential{Mean: mx})
	add("y", ay, law.Exponential{Mean: my})
	add("z", az, law.Exponential{Mean: mz})
	for _, e := range []string{"e1", "e2", "e3"} {
		add(e, ae, law.Exponential{Mean: me})
	}
	add("ln", 0.97, lnLaw)
	add("h", 0.98, histLaw)
	add("n", an, nil)
	add("p", 0.95, lnLaw, "net")
	add("q", 0.95, lnLaw, "net")
	return j
}

// expCDF is the exponential CDF with the given mean (0 for t ≤ 0).
func expCDF(mean float64) func(float64) float64 {
	return func(t float64) float64 {
		if t <= 0 {
			return 0
		}
		return -math.Expm1(-t / mean)
	}
}

var (
	fx, fy, fz, fe = expCDF(mx), expCDF(my), expCDF(mz), expCDF(me)
	phi            = func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	probit         = func(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
)

// step is the CDF of the point mass at 0.
func step(t float64) float64 {
	if t < 0 {
		return 0
	}
	return 1
}

// gauss integrates f against the standard normal density (midpoint rule
// on [−9, 9]).
func gauss(f func(z float64) float64) float64 {
	const h = 2e-3
	var s float64
	for z := -9 + h/2; z < 9; z += h {
		s += h * math.Exp(-z*z/2) / math.Sqrt(2*math.Pi) * f(z)
	}
	return s
}

// jointBelow is P(Y1 ≤ y, Y2 ≤ y) for standard normals of correlation r ∈
// [0, 1): given the common factor, the two are independent.
func jointBelow(y, r float64) float64 {
	return gauss(func(z float64) float64 {
		c := phi((y - math.Sqrt(r)*z) / math.Sqrt(1-r))
		return c * c
	})
}

// latencyCase is a journey whose sub-distribution S(t) = P(success and
// latency ≤ t) is known in closed form.
type latencyCase struct {
	name string
	root journey.Node
	corr sim.Correlation
	sub  func(t float64) float64
	tmax float64 // the grid of checked times is [0, tmax]
}

func latencyCases() []latencyCase {
	const (
		tau   = 0.15 // Timeout
		late  = 0.2  // declared TimeoutProbability
		hedge = 0.03 // Race hedgeAfter
		rtau  = 0.1  // Retry perTryTimeout
		back  = 0.02 // Retry backoff
		rhoR  = 0.5  // repeated-call copula
	)
	lx, ly := 1/mx, 1/my
	indep := sim.Independent()
	l := func(names ...string) []journey.Node {
		out := make([]journey.Node, len(names))
		for i, n := range names {
			out[i] = leaf(n)
		}
		return out
	}
	timeoutSub := func(primary float64) func(float64) float64 {
		// Success by t is the primary within min(t, τ), or — the primary
		// failed or was late, detected at τ — the fallback by t − τ.
		return func(t float64) float64 {
			s := primary * fx(min(t, tau))
			if t >= tau {
				s += (1 - primary*fx(tau)) * ay * fy(t-tau)
			}
			return s
		}
	}
	retrySub := func(onTime float64) func(float64) float64 {
		// Attempt j starts at j(τ+b) and succeeds in time with probability
		// a(1−late)F(τ); the first such attempt ends the request.
		return func(t float64) float64 {
			var s float64
			miss := 1.0
			for j := range 3 {
				start := float64(j) * (rtau + back)
				s += miss * ax * onTime * fx(min(t-start, rtau))
				miss *= 1 - ax*onTime*fx(rtau)
			}
			return s
		}
	}
	// p and q: latent correlation ρ/|D| · 1 = 1/2 under ρ = 1 (D = {net,
	// own}); both succeed with P(X_p < t, X_q < t), and their latencies,
	// independent of failures, have max ≤ t with P(Y_p ≤ y, Y_q ≤ y).
	bothUp := jointBelow(probit(0.95), 0.5)
	return []latencyCase{
		{"leaf exponential", leaf("x"), indep, func(t float64) float64 { return ax * fx(t) }, 0.4},
		{"leaf lognormal", leaf("ln"), indep, func(t float64) float64 { return 0.97 * lnLaw.CDF(t) }, 0.5},
		{"leaf histogram", leaf("h"), indep, func(t float64) float64 { return 0.98 * histLaw.CDF(t) }, 0.25},
		{"leaf without latency", leaf("n"), indep, func(t float64) float64 { return an * step(t) }, 0.1},
		{"series hypoexponential", &journey.Series{Steps: l("x", "y")}, indep, func(t float64) float64 {
			return ax * ay * (1 - (ly*math.Exp(-lx*t)-lx*math.Exp(-ly*t))/(ly-lx))
		}, 0.8},
		{"series with skip and no latency", &journey.Series{Steps: []journey.Node{leaf("x"), &journey.Skip{}, leaf("n")}},
			indep, func(t float64) float64 { return ax * an * fx(t) }, 0.4},
		{"parallel max", &journey.Parallel{Branches: l("x", "y", "z")}, indep, func(t float64) float64 {
			return ax * fx(t) * ay * fy(t) * az * fz(t)
		}, 0.8},
		{"race min", &journey.Race{Branches: l("x", "y")}, indep, func(t float64) float64 {
			return 1 - (1-ax*fx(t))*(1-ay*fy(t))
		}, 0.4},
		{"race hedged", &journey.Race{HedgeAfter: hedge, Branches: l("y", "x", "z")}, indep, func(t float64) float64 {
			return 1 - (1-ay*fy(t))*(1-ax*fx(t-hedge))*(1-az*fz(t-2*hedge))
		}, 0.5},
		{"kofn 2 of 3 order statistic", &journey.KofN{K: 2, Branches: l("e1", "e2", "e3")}, indep, func(t float64) float64 {
			p := ae * fe(t)
			return 3*p*p*(1-p) + p*p*p
		}, 0.8},
		{"kofn 1 of 3", &journey.KofN{K: 1, Branches: l("e1", "e2", "e3")}, indep, func(t float64) float64 {
			return 1 - math.Pow(1-ae*fe(t), 3)
		}, 0.5},
		{"cond with skip", &journey.Cond{Probs: points(0.3, 0.7), Branches: []journey.Node{&journey.Skip{}, leaf("x")}},
			indep, func(t float64) float64 { return 0.3*step(t) + 0.7*ax*fx(t) }, 0.4},
		{"timeout with fallback", &journey.Timeout{Timeout: tau, Primary: leaf("x"), Fallback: leaf("y")}, indep,
			timeoutSub(ax), 1},
		{"timeout without fallback", &journey.Timeout{Timeout: tau, Primary: leaf("x")}, indep, func(t float64) float64 {
			return ax * fx(min(t, tau))
		}, 0.3},
		{"timeout declared late", &journey.Timeout{Timeout: tau, TimeoutProbability: ptr(late), Primary: leaf("x"),
			Fallback: leaf("y")}, indep, timeoutSub(ax * (1 - late)), 1},
		{"retry", &journey.Retry{Attempts: 3, PerTryTimeout: rtau, Backoff: back, Target: leaf("x")}, indep,
			retrySub(1), 0.5},
		{"retry declared late", &journey.Retry{Attempts: 3, PerTryTimeout: rtau, Backoff: back,
			TimeoutProbability: ptr(late), Target: leaf("x")}, indep, retrySub(1 - late), 0.5},
		{"copula marginal exponential", leaf("x"), sim.Gaussian(0.7), func(t float64) float64 { return ax * fx(t) }, 0.4},
		{"copula marginal lognormal", leaf("ln"), sim.Gaussian(0.7), func(t float64) float64 { return 0.97 * lnLaw.CDF(t) }, 0.5},
		{"copula marginal histogram", leaf("h"), sim.Gaussian(0.7), func(t float64) float64 { return 0.98 * histLaw.CDF(t) }, 0.25},
		// ρ = 1, one component called twice: both calls share success and
		// latency, so the join is the single call (independence would give
		// a²F²).
		{"rho 1 comonotone parallel", &journey.Parallel{Branches: l("x", "x")}, sim.Gaussian(1),
			func(t float64) float64 { return ax * fx(t) }, 0.4},
		{"rho 1 comonotone retry", &journey.Retry{Attempts: 3, PerTryTimeout: rtau, Target: leaf("x")}, sim.Gaussian(1),
			func(t float64) float64 { return ax * fx(min(t, rtau)) }, 0.3},
		{"rho 1 shared domain parallel", &journey.Parallel{Branches: l("p", "q")}, sim.Gaussian(1),
			func(t float64) float64 {
				if t <= 0 {
					return 0
				}
				return bothUp * jointBelow(probit(lnLaw.CDF(t)), 0.5)
			}, 0.5},
		// Two calls of x under ρ: their failure latents and their latency
		// latents each have correlation ρ, failures and latencies being
		// independent. Given both common factors the calls are
		// independent, so S(t) = 1 − E[(1 − s(Z)f(W))²]
		// = 2aF(t) − E[s(Z)²]·E[f(W)²].
		{"race repeated rho 0.5", &journey.Race{Branches: l("x", "x")}, sim.Gaussian(rhoR), func(t float64) float64 {
			if t <= 0 {
				return 0
			}
			return 2*ax*fx(t) - jointBelow(probit(ax), rhoR)*jointBelow(probit(fx(t)), rhoR)
		}, 0.4},
	}
}

// TestLatencyClosedForms compares the simulated sub-distribution with the
// closed form on a grid of times, and the simulated availability and
// latency quantiles with theirs.
//
// Ŝ(t) = #{requests that succeeded within t}/Samples is the empirical CDF
// of the latency extended by +∞ on failure, so by the DKW inequality
// sup_t |Ŝ(t) − S(t)| ≤ √(ln(2/α)/(2n)) with probability at least 1 − α.
// The quantile and availability checks use the binomial standard error.
func TestLatencyClosedForms(t *testing.T) {
	const (
		n     = 200_000
		alpha = 1e-6 // false alarm probability of the DKW check
		z     = 5.0  // binomial tolerance in standard errors
	)
	eps := law.DKW(n, alpha)
	for _, tc := range latencyCases() {
		t.Run(tc.name, func(t *testing.T) {
			r, err := sim.Simulate(latJourney(tc.root), sim.Options{Samples: n, Seed: 11, Correlation: tc.corr})
			if err != nil {
				t.Fatal(err)
			}
			a := tc.sub(math.Inf(1))
			if d := math.Abs(r.Availability - a); d > z*math.Max(math.Sqrt(a*(1-a)/n), 1/n) {
				t.Errorf("availability %.5f, want %.5f", r.Availability, a)
			}
			var worst, at float64
			for i := range 401 {
				x := tc.tmax * float64(i) / 400
				got := float64(r.Successes) * r.CDF(x) / n
				if d := math.Abs(got - tc.sub(x)); d > worst {
					worst, at = d, x
				}
			}
			if worst > eps {
				t.Errorf("sup |Ŝ − S| = %.4f at t = %.4gs (Ŝ = %.4f, S = %.4f), DKW bound %.4f",
					worst, at, float64(r.Successes)*r.CDF(at)/n, tc.sub(at), eps)
			}
			// The inverse ECDF q̂ = Quantile(p) satisfies F̂(q̂−) < p ≤ F̂(q̂);
			// with F = S/A that is F(q̂−) ≤ p + tol and F(q̂) ≥ p − tol.
			for _, p := range []float64{0.5, 0.9, 0.99} {
				q := r.Quantile(p)
				tol := z * math.Sqrt(p*(1-p)/float64(r.Successes))
				below, upto := tc.sub(math.Nextafter(q, math.Inf(-1)))/a, tc.sub(q)/a
				if below > p+tol || upto < p-tol {
					t.Errorf("Quantile(%v) = %.5gs: F(q−) = %.5f, F(q) = %.5f, want around %v ± %.4f",
						p, q, below, upto, p, tol)
				}
			}
		})
	}
}
