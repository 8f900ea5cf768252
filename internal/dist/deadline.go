package dist

import "math"

// deadline is a time read in the way a flavour reads it: the grid index
// the primary is cut at and the value S_N(τ) used for its coefficient.
type deadline struct {
	cut   int     // last grid index at which the primary's own curve is used
	exact bool    // τ is a grid point
	pos   float64 // τ/Δ
	value float64 // S_N(τ) as the flavour reads it
}

func (c *Calc) deadline(f Flavour, n Sub, tau float64) deadline {
	return c.deadlineAt(f, tau, c.At(f, n, tau))
}

// deadlineAt is deadline with S_N(τ) given (read on a finer grid).
func (c *Calc) deadlineAt(f Flavour, tau, at float64) deadline {
	down, up := c.g.Cells(tau)
	d := deadline{cut: down, exact: down == up, pos: tau / c.g.Delta, value: at}
	if f.upperSide() {
		d.cut = up
	}
	d.cut = min(d.cut, c.g.K-1)
	return d
}

// primary returns S_N(min(t_k, τ)) as flavour f reads it.
func (c *Calc) primary(f Flavour, n Sub, d deadline, k int) float64 {
	switch {
	case k < d.cut, k == d.cut && f != Estimate:
		return n.V[k]
	case f == Estimate && float64(k) < d.pos:
		return n.V[k]
	}
	return d.value
}

// Timeout returns the sub-distribution of N cut at τ and followed, on
// failure or lateness, by the fallback M started at τ (fallback nil: no
// fallback). Estimate, Lower and Upper compute
// S_N(min(t, τ)) + 1[t ≥ τ]·(1 − S_N(τ))·S_M(t − τ); FreeLower uses the
// union bound max(S_N(τ), S_M(t − τ)) after τ, FreeUpper the sum
// min(1, S_N(τ) + S_M(t − τ)).
func (c *Calc) Timeout(f Flavour, tau float64, n Sub, fallback *Sub) Sub {
	return c.TimeoutAt(f, tau, c.At(f, n, tau), n, fallback)
}

// TimeoutAt is Timeout with the primary's S_N(τ), as flavour f reads it,
// given: the primary was computed on a grid of its own, on which τ is a
// grid point, and n is its curve carried onto this grid (see Rebin).
func (c *Calc) TimeoutAt(f Flavour, tau, at float64, n Sub, fallback *Sub) Sub {
	d := c.deadlineAt(f, tau, at)
	v := c.buf()
	for k := range v {
		v[k] = c.primary(f, n, d, k)
	}
	mass := d.value
	if fallback == nil {
		tidy(v, mass, 0)
		return Sub{V: v, Mass: mass}
	}
	m := c.shift(f, *fallback, tau)
	defer c.Release(m)
	switch f {
	case Estimate, Lower, Upper:
		w := 1 - d.value
		for k := range v {
			v[k] += w * m.V[k]
		}
		mass += w * fallback.Mass
	case FreeLower:
		_, up := c.g.Cells(tau)
		for k := up; k < len(v); k++ {
			v[k] = max(d.value, m.V[k])
		}
		mass = max(mass, fallback.Mass)
	case FreeUpper:
		for k := d.cut; k < len(v); k++ {
			v[k] = min(1, d.value+m.V[k])
		}
		mass = min(1, mass+fallback.Mass)
	}
	tidy(v, mass, 0)
	return Sub{V: v, Mass: mass}
}

// Retry returns the sub-distribution of up to attempts runs of N, each cut
// at τ, attempt j starting at j·(τ + backoff). Estimate, Lower and Upper compute
// Σ_j (1 − S_N(τ))^j · S_N(min(t − j(τ+b), τ)); FreeLower keeps the first
// attempt alone (for any dependence the attempts may fail together);
// FreeUpper sums the attempts, capped at 1.
func (c *Calc) Retry(f Flavour, attempts int, tau, backoff float64, n Sub) Sub {
	return c.RetryAt(f, attempts, tau, backoff, c.At(f, n, tau), n)
}

// RetryAt is Retry with the primary's S_N(τ) given (see TimeoutAt).
func (c *Calc) RetryAt(f Flavour, attempts int, tau, backoff, at float64, n Sub) Sub {
	if f == FreeLower || attempts <= 1 {
		return c.TimeoutAt(f, tau, at, n, nil)
	}
	d := c.deadlineAt(f, tau, at)
	v := c.buf()
	clear(v)
	w := 1 - d.value
	period := tau + backoff
	last := c.g.Time(c.g.K - 1)
	for j := range attempts {
		start := float64(j) * period
		coef := math.Pow(w, float64(j))
		if f == FreeUpper {
			coef = 1
		}
		if start > last || coef == 0 {
			break // later attempts add nothing on the grid
		}
		c.addAttempt(f, v, n, d, start, coef)
	}
	mass := 1 - math.Pow(w, float64(attempts))
	if f == FreeUpper {
		mass = min(1, float64(attempts)*d.value)
		for k := range v {
			v[k] = min(1, v[k])
		}
	}
	tidy(v, mass, 0)
	return Sub{V: v, Mass: mass}
}

// addAttempt adds coef·S_N(min(t − start, τ)) for t ≥ start to v.
func (c *Calc) addAttempt(f Flavour, v []float64, n Sub, d deadline, start, coef float64) {
	down, up := c.g.Cells(start)
	if f == Estimate && down != up {
		p := start / c.g.Delta
		for k := range v {
			x := float64(k) - p
			switch {
			case x < 0:
			case x >= d.pos:
				v[k] += coef * d.value
			default:
				v[k] += coef * interp(n.V, x)
			}
		}
		return
	}
	s := up // lower bands start late
	if f.upperSide() {
		s = down
	}
	for k := s; k < len(v); k++ {
		v[k] += coef * c.primary(f, n, d, k-s)
	}
}
