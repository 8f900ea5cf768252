package latency

import (
	"fmt"
	"math"
	"strconv"

	"github.com/emac-dev/emac/internal/compute/tree"
	"github.com/emac-dev/emac/internal/dist"
	"github.com/emac-dev/emac/internal/journey"
)

// Latency assumptions stated in every result.
const (
	assumeLatencyEstimate = "latency estimate: calls and their latencies are independent; an interval branch probability uses the point p_i = low_i + λ(high_i − low_i), one λ making Σp = 1"
	assumeLatencyAvail    = "latency bands widen latency evidence only: leaves keep their point availabilities, and the upper confidence read divides by the independent A+"
	assumeLatencyFree     = "latency upper bound: valid for every law of A−'s dependence class — fate groups independent, calls within one positively dependent in failure and latency, any dependence where that gives no closed form: inside a group, Makarov's bound for the steps of a Series (on a coarse grid), the best member for a Race, A−'s groupwise rule for a KofN, the union bound for a shared fallback and a single attempt for a Retry; it divides by the class's availability upper bound (min U_i inside a group of a Series or Parallel, the independent value for unions)"
	assumeTimeoutAt       = "the fallback starts at the deadline: failures of the primary are assumed detected only at the deadline"
	assumeRetryAt         = "attempt j starts at j·(perTryTimeout + backoff): failures are assumed detected only at the per-try deadline"
)

// Result reads the three quantiles and assembles the latency result;
// plus and minus are the journey's availability interval, A+ and A−. It
// returns nil when no curves were computed: Options.Curves was unset, or
// the journey has no latency objective or no latency evidence.
func (l *Model) Result(plus, minus float64) *Result {
	if !l.curves {
		return nil
	}
	c, est := l.mg.g[0], l.mg.root
	g := c.Grid()
	res := &Result{
		Quantile:               l.q,
		EstimateAvailability:   est.Mass,
		ConfidenceAvailability: max(plus, est.Mass),
		Grid:                   Grid{StepSeconds: g.Delta, Points: g.K, Aligned: g.Aligned},
		Late:                   l.late,
	}
	var notes []string
	if q, ok := c.Quantile(est, l.q); ok {
		res.EstimateSeconds = q
	} else {
		res.EstimateSeconds = math.Inf(1)
		notes = append(notes, fmt.Sprintf("latency estimate: the p%s level is not reached within %s", pct(l.q), g))
	}
	free := l.free
	res.BoundAvailability = l.upMass
	tb := l.tailBound(max(free.Mass, minus))
	var boundNotes []string
	res.UpperBoundSeconds = l.read(classLowerPass, free, res.BoundAvailability, tb, "upper bound", &boundNotes)
	if tb < res.UpperBoundSeconds {
		res.UpperBoundSeconds = tb
		boundNotes = []string{tailNote(l.q)}
	}
	notes = append(notes, boundNotes...)
	res.UpperConfidenceSeconds = l.read(func(s *leafSet) *pass { return newPass(s, dist.Lower, nil) }, l.lowerRoot, res.ConfidenceAvailability, res.UpperBoundSeconds, "upper confidence", &notes)
	// The bound holds for every law of the class, the independent one
	// included.
	res.UpperConfidenceSeconds = min(res.UpperConfidenceSeconds, res.UpperBoundSeconds)
	res.Curves = Curves{
		Estimate:   conditional(est.V, est.Mass),
		Confidence: conditional(l.lowerRoot.V, res.ConfidenceAvailability),
		UpperBound: conditional(free.V, res.BoundAvailability),
	}
	res.Assumptions = l.assumptions(notes)
	return res
}

// read returns the bound inf{t : S_lo(t) ≥ q·aHi} of the lower band lo
// (on the main grid), re-evaluating the band with the pass newBand makes
// on grids of wider range while its level lies beyond the grid; +Inf,
// with a note appended to notes, when the band never reaches the level.
// known is a bound
// already established (+Inf when none): the caller keeps the smaller of
// the two, so a band that has not reached its level by then returns +Inf
// without a note, and a wider grid reaches out to known at once instead
// of doubling step by step. The grids of deadline scopes do not depend
// on the range and are reused with their leaf curves.
func (l *Model) read(newBand func(*leafSet) *pass, lo dist.Sub, aHi, known float64, name string, notes *[]string) float64 {
	level := l.q * aHi
	c, s := l.mg.g[0], lo
	spec := l.mg.spec
	for range maxGridTries {
		t, ok, unbounded := c.Bound(s, level)
		switch {
		case ok:
			return t
		case unbounded:
			*notes = append(*notes, fmt.Sprintf("latency %s unbounded: the band reaches at most %s of the availability %s it is read against, below q = %s (thin latency evidence, or histogram mass in the +Inf bucket)",
				name, short(s.Mass), short(aHi), journey.FormatFloat(l.q)))
			return math.Inf(1)
		case c.Grid().Time(c.Grid().K-1) >= known:
			return math.Inf(1)
		}
		spec.Range *= 2
		if known < math.Inf(1) {
			spec.Range = max(spec.Range, known)
		}
		g := append(grids{dist.NewCalc(dist.NewGrid(spec))}, l.mg.g[1:]...)
		c = g[0]
		s = newBand(l.mg.set.rescoped(g)).run()
	}
	*notes = append(*notes, fmt.Sprintf("latency %s unbounded: the band does not reach the p%s level within %s", name, pct(l.q), c.Grid()))
	return math.Inf(1)
}

// short renders a computed number for a message with six significant
// digits (0.9889999999999781 → 0.989).
func short(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

// conditional returns v/a (zeros when a is 0).
func conditional(v []float64, a float64) []float64 {
	out := make([]float64, len(v))
	if a <= 0 {
		return out
	}
	for k, x := range v {
		out[k] = min(1, x/a)
	}
	return out
}

// pct renders a quantile as a percentile number ("99", "99.9").
func pct(q float64) string { return journey.FormatFloat(math.Round(q*1e6) / 1e4) }

// assumptions lists the latency assumptions, deduplicated, in a fixed
// order: general ones, the grid, the bands, components without evidence,
// deadlines, then the read notes.
func (l *Model) assumptions(reads []string) []string {
	var list []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	add(assumeLatencyEstimate)
	add(l.gridNote())
	add(assumeLatencyAvail)
	if n := l.bandNote(); n != "" {
		add(n)
	}
	add(assumeLatencyFree)
	t := l.m.t
	for c, comp := range t.Components {
		if l.m.laws[c] == nil {
			add("latency: component " + comp.Name + " has no latency evidence; its calls are taken as instantaneous")
		}
	}
	for i := range t.Nodes {
		n := &t.Nodes[i]
		switch n.Op {
		case tree.Timeout:
			if len(n.Children) == 2 {
				add("Timeout at " + n.Path + ": " + assumeTimeoutAt)
			}
		case tree.Retry:
			if n.K > 1 {
				add("Retry at " + n.Path + ": " + assumeRetryAt)
			}
		}
	}
	for _, r := range reads {
		add(r)
	}
	return list
}

// gridNote describes the main grid.
func (l *Model) gridNote() string {
	g := l.mg.g[0].Grid()
	s := fmt.Sprintf("latency curves on a uniform grid of %s (trapezoid-rule convolution for the estimate, cell left ends for lower bands, right ends for upper bands)", g)
	if n := len(l.mg.g) - 1; n > 0 {
		s += fmt.Sprintf("; the primaries of %d deadline(s) on grids of their own that end at the deadline (%d to %d points)", n, scopeMinK, scopeMaxK)
	}
	switch {
	case len(l.m.breaks) == 0:
	case g.Aligned:
		s += "; every timeout, per-try timeout plus backoff and hedge delay is a whole number of cells"
	default:
		s += "; timeouts and hedge delays are not whole numbers of cells: they are read by interpolation in the estimate and rounded against the bands"
	}
	return s
}

// bandNote states the DKW widening, or "" when every law is exact.
func (l *Model) bandNote() string {
	if l.m.banded == 0 {
		return ""
	}
	lo, hi := math.Inf(1), 0.0
	for _, e := range l.m.eps {
		if e > 0 {
			lo, hi = min(lo, e), max(hi, e)
		}
	}
	width := "ε = " + journey.FormatFloat(journey.RoundSig(lo, 3))
	if hi > lo {
		width = "ε from " + journey.FormatFloat(journey.RoundSig(lo, 3)) + " to " + journey.FormatFloat(journey.RoundSig(hi, 3))
	}
	return fmt.Sprintf("latency bands: the %d component(s) with observed latencies are widened by a simultaneous DKW band ε = sqrt(ln(2/α)/(2n)) with α = %s split across them (Bonferroni), %s; histogram buckets are interval-censored (the lower band counts a bucket at its upper edge, the +Inf bucket never)",
		l.m.banded, journey.FormatFloat(journey.RoundSig(l.m.alpha, 3)), width)
}
