package journey

import (
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/emac-dev/emac/internal/diag"
)

// cond checks a Cond's probabilities: count, resolution, ranges and sum.
func (v *validator) cond(n *Cond) {
	v.nonEmpty(n, "Cond has no branches")
	k := len(n.Branches)
	var given []Prob
	for _, pr := range n.Probs {
		if !pr.Implicit {
			given = append(given, pr)
		}
	}
	if k == 0 {
		return
	}
	if len(given) != k && len(given) != k-1 {
		v.errs.Errorf(n.Pos, "Cond with %d branches takes %d or %d probabilities, got %d", k, k-1, k, len(given))
		return
	}
	if vals, ok := v.resolve(n, given); ok {
		v.sum(n, vals, len(given) == k)
	}
}

// resolve replaces named probabilities by their values and checks every
// probability's range. ok is false when a value is unknown or invalid.
func (v *validator) resolve(n *Cond, given []Prob) (vals []Prob, ok bool) {
	ok = true
	for _, pr := range given {
		pos := pr.Pos
		if !pos.IsValid() {
			pos = n.Pos
		}
		if pr.Param != "" {
			val, found := v.params[pr.Param]
			switch {
			case v.params == nil:
				ok = false
				continue
			case !found:
				v.errs.Errorf(pos, "unknown parameter %q%s", pr.Param, diag.DidYouMean(pr.Param, slices.Sorted(maps.Keys(v.params))))
				ok = false
				continue
			}
			pr.Lo, pr.Hi = val, val
		}
		if !v.probRange(pos, pr) {
			ok = false
		}
		vals = append(vals, pr)
	}
	return vals, ok
}

// probRange reports a probability outside [0, 1] or a reversed interval.
func (v *validator) probRange(pos diag.Pos, pr Prob) bool {
	switch {
	case pr.Lo > pr.Hi:
		v.errs.Errorf(pos, "probability interval [%s, %s] has lo > hi", FormatFloat(pr.Lo), FormatFloat(pr.Hi))
	case inUnit(pr.Lo) && inUnit(pr.Hi):
		return true
	case pr.Param != "":
		v.errs.Errorf(pos, "parameter %q = %s is outside [0, 1]", pr.Param, FormatFloat(pr.Lo))
	default:
		v.errs.Errorf(pos, "probability %s is outside [0, 1]", pr.String())
	}
	return false
}

// sum checks that the probabilities can sum to 1. complete is true when
// every branch has a written probability, false when the last one is the
// implicit complement.
func (v *validator) sum(n *Cond, vals []Prob, complete bool) {
	sumLo, sumHi := 0.0, 0.0
	for _, pr := range vals {
		sumLo += pr.Lo
		sumHi += pr.Hi
	}
	points := !slices.ContainsFunc(vals, Prob.IsInterval)
	switch {
	case !complete && sumLo > 1+probTolerance && points:
		v.errs.Errorf(n.Pos, "Cond probabilities sum to %s > 1, leaving nothing for the last branch", fmtSum(sumLo))
	case !complete && sumLo > 1+probTolerance:
		v.errs.Errorf(n.Pos, "Cond probability lower bounds sum to %s > 1, leaving nothing for the last branch", fmtSum(sumLo))
	case !complete:
	case points && math.Abs(sumLo-1) > probTolerance:
		v.errs.Errorf(n.Pos, "Cond probabilities sum to %s, want 1", fmtSum(sumLo))
	case sumLo > 1+probTolerance:
		v.errs.Errorf(n.Pos, "Cond probability intervals cannot sum to 1: the lower bounds sum to %s > 1", fmtSum(sumLo))
	case sumHi < 1-probTolerance:
		v.errs.Errorf(n.Pos, "Cond probability intervals cannot sum to 1: the upper bounds sum to %s < 1", fmtSum(sumHi))
	}
}

// fmtSum renders a sum without float noise (0.30000000000000004 → 0.3).
func fmtSum(x float64) string { return strconv.FormatFloat(x, 'g', 12, 64) }
