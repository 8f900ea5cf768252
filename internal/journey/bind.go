package journey

import "github.com/emac-dev/emac/internal/diag"

// probTolerance is how far probability sums may stray from 1 through
// floating-point rounding.
const probTolerance = 1e-9

// Bind resolves the named probabilities of every Cond in place: a Prob whose
// Param is a key of params gets Lo = Hi = params[Param] (Param is kept, so
// String still prints the name). It then completes each Cond that has one
// probability fewer than branches with an implicit last probability, and
// recomputes every implicit probability as the complement of the others
// (see complementRange). Names missing from params are left unresolved (and
// an implicit complement of them stays 0); Validate reports them.
//
// Call Validate first for diagnostics; Bind itself never fails and may be
// called more than once.
func Bind(root Node, params map[string]float64) {
	Walk(root, func(n Node) bool {
		if c, ok := n.(*Cond); ok {
			bindCond(c, params)
		}
		return true
	})
}

func bindCond(c *Cond, params map[string]float64) {
	for i := range c.Probs {
		pr := &c.Probs[i]
		if v, ok := params[pr.Param]; ok && pr.Param != "" && !pr.Implicit {
			pr.Lo, pr.Hi = v, v
		}
	}
	k := len(c.Branches)
	if k >= 1 && len(c.Probs) == k-1 {
		pos := c.Pos
		if b := c.Branches[k-1]; b != nil {
			pos = b.Position()
		}
		c.Probs = append(c.Probs, Prob{Pos: pos, Implicit: true})
	}
	last := len(c.Probs) - 1
	if last < 0 || !c.Probs[last].Implicit {
		return
	}
	given := c.Probs[:last]
	if resolved(given, params) {
		c.Probs[last].Lo, c.Probs[last].Hi = complementRange(given)
	}
}

// resolved reports whether every named probability has a value in params.
func resolved(probs []Prob, params map[string]float64) bool {
	for _, pr := range probs {
		if _, ok := params[pr.Param]; pr.Param != "" && !ok {
			return false
		}
	}
	return true
}

// complementProb returns the implicit probability completing given, placed
// at pos. When any given probability is a parameter name its range is left
// 0 for Bind to fill.
func complementProb(given []Prob, pos diag.Pos) Prob {
	pr := Prob{Pos: pos, Implicit: true}
	for _, g := range given {
		if g.Param != "" {
			return pr
		}
	}
	pr.Lo, pr.Hi = complementRange(given)
	return pr
}

// complementRange returns the range of the last probability that lets the
// given ones sum to 1: [1 − ΣHi, 1 − ΣLo], which is 1 − Σp for points. When
// the range reaches below zero only its part in [0, 1] is feasible, so the
// lower end is raised to 0 (rounding errors within probTolerance are cleared
// the same way). When even the upper end is negative the given probabilities
// exceed 1 and the range is returned as is for Validate to report.
func complementRange(given []Prob) (lo, hi float64) {
	sumLo, sumHi := 0.0, 0.0
	for _, g := range given {
		sumLo += g.Lo
		sumHi += g.Hi
	}
	lo, hi = 1-sumHi, 1-sumLo
	if hi >= -probTolerance {
		lo, hi = max(lo, 0), max(hi, 0)
	}
	return lo, hi
}
