package infer

import (
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// quantile is the latency quantile reported per component.
const quantile = 0.99

// obs is one call duration in seconds: an event (a successful answer) or
// right-censored (cut by a deadline or cancelled: the answer would have
// come later).
type obs struct {
	t     float64
	event bool
}

// km is a Kaplan–Meier estimate of the survival function of the latency
// of successful calls, at its event times, with Greenwood's variance.
type km struct {
	t, s, se []float64 // event times, S(t) just after each, and its standard error
	risk     []float64 // calls at risk at each event time
	maxObs   float64
}

func newKM(xs []obs) km {
	slices.SortFunc(xs, func(a, b obs) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		case a.event && !b.event: // events before censorings at a tie
			return -1
		case !a.event && b.event:
			return 1
		}
		return 0
	})
	var k km
	s, gw := 1.0, 0.0
	atRisk := len(xs)
	for i := 0; i < len(xs); {
		j, d := i, 0
		for j < len(xs) && xs[j].t == xs[i].t {
			if xs[j].event {
				d++
			}
			j++
		}
		if d > 0 {
			n := float64(atRisk)
			s *= 1 - float64(d)/n
			if n > float64(d) {
				gw += float64(d) / (n * (n - float64(d)))
			}
			k.t = append(k.t, xs[i].t)
			k.s = append(k.s, s)
			k.se = append(k.se, s*math.Sqrt(gw))
			k.risk = append(k.risk, n)
		}
		atRisk -= j - i
		i = j
	}
	if len(xs) > 0 {
		k.maxObs = xs[len(xs)-1].t
	}
	return k
}

// cdf returns 1 − S(t).
func (k km) cdf(t float64) float64 {
	i, found := slices.BinarySearch(k.t, t)
	if !found {
		i--
	}
	if i < 0 {
		return 0
	}
	return 1 - k.s[i]
}

// quantile returns the q-quantile and its confidence interval: the times
// at which 1−q lies within the Wilson interval of S(t), computed on the
// effective sample size S(1−S)/se² of the Greenwood variance (the last
// defined one, or the number at risk, where that is undefined) — Wilson
// rather than Wald so that the
// interval stays honest in a thin, censored tail. censored is true when
// the evidence cannot place the quantile; the estimate is then the
// largest observation and hi is +Inf.
func (k km) quantile(q, z float64) (est, lo, hi float64, censored bool) {
	target := 1 - q
	est, lo, hi = math.NaN(), math.NaN(), math.Inf(1)
	neff := 0.0
	for i, t := range k.t {
		s := k.s[i]
		switch se := k.se[i]; {
		case se > 0 && s > 0 && s < 1:
			neff = s * (1 - s) / (se * se)
		case neff == 0:
			neff = k.risk[i]
		} // at S = 0 Greenwood's variance is undefined: keep the last size
		sLo, sHi := wilsonF(s*neff, neff, z)
		if math.IsNaN(lo) && sLo <= target {
			lo = t
		}
		if math.IsNaN(est) && s <= target+1e-12 {
			est = t
		}
		if sHi < target {
			hi = t
			break
		}
	}
	if math.IsNaN(est) {
		est, censored = k.maxObs, true
	}
	if math.IsNaN(lo) {
		lo = k.maxObs
	}
	return est, lo, hi, censored
}

// bucketMantissas are the bucket bounds within a decade.
var bucketMantissas = [...]float64{1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6, 8}

// histogramBounds returns bucket bounds (seconds) covering [lo, hi]: ten a
// decade, from the last bound at or below lo to the first at or above hi.
func histogramBounds(lo, hi float64) []float64 {
	lo = max(lo, 1e-6)
	hi = max(hi, lo)
	var grid []float64
	for e := math.Floor(math.Log10(lo)); e <= 7; e++ {
		for _, m := range bucketMantissas {
			grid = append(grid, journey.RoundSig(m*math.Pow(10, e), 3))
			if grid[len(grid)-1] >= hi {
				for len(grid) > 1 && grid[1] <= lo {
					grid = grid[1:]
				}
				return grid
			}
		}
	}
	return grid
}

// latency fills the component's histogram and quantile from its
// observations.
func (c *Component) latency(xs []obs, z float64) {
	if c.Samples == 0 {
		c.P99, c.P99Lo, c.P99Hi = 0, 0, math.Inf(1)
		return
	}
	lo, hi := math.Inf(1), 0.0
	for _, x := range xs {
		if x.event {
			lo = min(lo, x.t)
		}
		hi = max(hi, x.t)
	}
	k := newKM(xs)
	c.Bounds = histogramBounds(lo, hi)
	c.Counts = make([]float64, len(c.Bounds)+1)
	prev := 0.0
	n := float64(c.Samples)
	for i, b := range c.Bounds {
		f := k.cdf(b)
		c.Counts[i] = roundNear(n*(f-prev), 3)
		prev = f
	}
	c.Counts[len(c.Bounds)] = roundNear(n*(1-prev), 3)
	c.P99, c.P99Lo, c.P99Hi, _ = k.quantile(quantile, z)
}
