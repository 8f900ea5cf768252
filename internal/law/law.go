// Package law holds a component's latency law as its evidence gives it:
// parametric (lognormal, exponential), a Prometheus-style histogram, raw
// samples, or quantile points. A Law is the distribution of the latency of a
// *successful* call; availability is kept apart.
//
// Every law answers three CDFs: the estimate CDF, and a Lower and an Upper
// CDF that bracket every law consistent with the evidence before sampling
// error — they differ from CDF only for histograms, whose bucket contents are
// interval-censored (Lower counts a bucket's mass at its upper edge, Upper at
// its lower edge). N reports how many observations stand behind the
// evidence, so callers can widen the bracket by a DKW band; N is 0 for laws
// given as exact (parametric laws and quantile points).
package law

import (
	"fmt"
	"math"
)

// Law is the latency distribution of a component's successful calls.
type Law interface {
	// CDF is the estimate of P(latency <= t).
	CDF(t float64) float64
	// Lower is a CDF below every law consistent with the evidence.
	Lower(t float64) float64
	// Upper is a CDF above every law consistent with the evidence.
	Upper(t float64) float64
	// Quantile is the estimate's inverse: inf{t : CDF(t) >= p}, for p in
	// (0, 1). Sampling Quantile(U) with U uniform draws from the estimate.
	Quantile(p float64) float64
	// N is the number of observations behind the evidence (0 for an exact
	// law: no sampling band).
	N() float64
	// String describes the law, e.g. "lognormal(median=80ms, sigma=0.5)".
	String() string
	// Scale returns the law of c times the latency (c > 0).
	Scale(c float64) Law
}

// DKW returns the half-width of the Dvoretzky–Kiefer–Wolfowitz band that
// holds with probability 1-alpha for an empirical CDF of n observations.
func DKW(n, alpha float64) float64 {
	if n <= 0 {
		return 0
	}
	return math.Sqrt(math.Log(2/alpha) / (2 * n))
}

// Lognormal is the law of exp(N(ln Median, Sigma²)).
type Lognormal struct {
	Median, Sigma float64
}

// CDF returns Φ((ln t − ln median)/σ).
func (l Lognormal) CDF(t float64) float64 {
	if t <= 0 {
		return 0
	}
	return normCDF((math.Log(t) - math.Log(l.Median)) / l.Sigma)
}

// Lower equals CDF (the law is exact).
func (l Lognormal) Lower(t float64) float64 { return l.CDF(t) }

// Upper equals CDF (the law is exact).
func (l Lognormal) Upper(t float64) float64 { return l.CDF(t) }

// Quantile returns median·exp(σ Φ⁻¹(p)).
func (l Lognormal) Quantile(p float64) float64 {
	return l.Median * math.Exp(l.Sigma*NormalQuantile(p))
}

// N is 0: the law is exact.
func (Lognormal) N() float64 { return 0 }

// Scale multiplies the median by c.
func (l Lognormal) Scale(c float64) Law { return Lognormal{Median: l.Median * c, Sigma: l.Sigma} }

// String describes the law.
func (l Lognormal) String() string {
	return fmt.Sprintf("lognormal(median=%s, sigma=%g)", seconds(l.Median), l.Sigma)
}

// Exponential is the exponential law with the given mean.
type Exponential struct {
	Mean float64
}

// CDF returns 1 − exp(−t/mean).
func (e Exponential) CDF(t float64) float64 {
	if t <= 0 {
		return 0
	}
	return -math.Expm1(-t / e.Mean)
}

// Lower equals CDF (the law is exact).
func (e Exponential) Lower(t float64) float64 { return e.CDF(t) }

// Upper equals CDF (the law is exact).
func (e Exponential) Upper(t float64) float64 { return e.CDF(t) }

// Quantile returns −mean·ln(1−p).
func (e Exponential) Quantile(p float64) float64 { return -e.Mean * math.Log1p(-p) }

// N is 0: the law is exact.
func (Exponential) N() float64 { return 0 }

// Scale multiplies the mean by c.
func (e Exponential) Scale(c float64) Law { return Exponential{Mean: e.Mean * c} }

// String describes the law.
func (e Exponential) String() string { return fmt.Sprintf("exponential(mean=%s)", seconds(e.Mean)) }

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// NormalQuantile is the standard normal quantile function Φ⁻¹(p).
func NormalQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }

// seconds renders a duration in seconds compactly ("80ms", "1.5s").
func seconds(s float64) string {
	if s < 1 {
		return fmt.Sprintf("%gms", math.Round(s*1e6)/1e3)
	}
	return fmt.Sprintf("%gs", s)
}

// LowerQuantile returns the smallest t, to a relative 1e-9 and never
// below it, with l.Lower(t) − eps ≥ p: the p-quantile of l's lower band
// widened by eps. It is +Inf when the band never reaches p (p + eps ≥ 1,
// or not by 10⁹ seconds).
func LowerQuantile(l Law, p, eps float64) float64 {
	level := p + eps
	if level >= 1 {
		return math.Inf(1)
	}
	ok := func(t float64) bool { return l.Lower(t) >= level }
	hi := 1e-3
	for !ok(hi) {
		hi *= 2
		if hi > 1e9 {
			return math.Inf(1)
		}
	}
	lo := 0.0
	for hi-lo > 1e-9*hi {
		mid := (lo + hi) / 2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
