package infer

import (
	"math"
	"slices"
)

// evidenceN0 is the number of observations at which evidenceWeight is ½.
const evidenceN0 = 20

// evidenceWeight is n/(n+20): the penalty for thin evidence, 0 without
// observations, ½ at 20, 0.99 at about 2,000.
func evidenceWeight(n int) float64 {
	if n <= 0 {
		return 0
	}
	return float64(n) / float64(n+evidenceN0)
}

// zFor returns the two-sided standard normal quantile of confidence c.
func zFor(c float64) float64 { return math.Sqrt2 * math.Erfinv(c) }

// wilson returns the Wilson score interval of k successes in n trials.
func wilson(k, n int, z float64) (lo, hi float64) {
	return wilsonF(float64(k), float64(n), z)
}

// wilsonF is wilson with real-valued counts (an effective sample size).
func wilsonF(k, nf, z float64) (lo, hi float64) {
	if !(nf > 0) {
		return 0, 1
	}
	p := k / nf
	z2 := z * z
	den := 1 + z2/nf
	mid := (p + z2/(2*nf)) / den
	hw := z * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	return clamp01(mid - hw), clamp01(mid + hw)
}

func clamp01(x float64) float64 {
	switch {
	case !(x > 0):
		return 0
	case x > 1:
		return 1
	}
	return x
}

func roundNear(x float64, digits int) float64 {
	s := math.Pow(10, float64(digits))
	return math.Round(x*s) / s
}

func roundDown(x float64, digits int) float64 {
	s := math.Pow(10, float64(digits))
	return clamp01(math.Floor(x*s+1e-9) / s)
}

func roundUp(x float64, digits int) float64 {
	s := math.Pow(10, float64(digits))
	return clamp01(math.Ceil(x*s-1e-9) / s)
}

// cluster finds the densest window of width tol among xs and returns its
// median and largest values and the number of values in it. Delays
// measured from a start estimated late (deadlines) are best read at hi;
// start delays that carry jitter either way (periods, hedges) at the
// median.
func cluster(xs []int64, tol int64) (med, hi int64, n int) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	best, bestLo := 0, 0
	l := 0
	for h := range s {
		for s[h]-s[l] > tol {
			l++
		}
		if h-l+1 > best {
			best, bestLo = h-l+1, l
		}
	}
	return s[bestLo+(best-1)/2], s[bestLo+best-1], best
}

// groups splits xs into runs of values each within tol of the previous
// one, latest run first, each sorted.
func groups(xs []int64, tol int64) [][]int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	var out [][]int64
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j]-s[j-1] <= tol {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	slices.Reverse(out)
	return out
}

// median returns the median of xs (the lower one of an even count).
func median(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

// seconds converts nanoseconds to seconds rounded to 0.1 ms, the
// precision to which deadlines, periods and hedge delays are reported.
func seconds(ns int64) float64 {
	return math.Round(float64(ns)/1e5) / 1e4
}
