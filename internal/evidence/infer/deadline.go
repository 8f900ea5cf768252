package infer

import (
	"slices"
)

// deadlineScan holds what a deadline search needs of the views of one
// Series level: each call's block, and the cuts already explained by a
// deadline found at this level.
type deadlineScan struct {
	d         *decomposer
	vs        []view
	blocks    []block
	blockOf   map[int32]int
	explained map[[2]int]bool
	// cutsUpTo[b] counts the unexplained cuts of blocks 0..b−1; viewsOf[b]
	// the views calling block b (see index).
	cutsUpTo []int
	viewsOf  []int
}

// deadlines finds the Timeouts among Series blocks: a run of blocks i..j
// whose calls are cut at one constant delay τ after the run starts, never
// run past it, and (optionally) block j+1 starting exactly at τ, only when
// the run failed or was cut — its fallback. Shorter runs are tried first,
// so inner deadlines are found before the ones around them.
func (d *decomposer) deadlines(blocks []block, vs []view) []block {
	s := &deadlineScan{d: d, vs: vs, blocks: blocks, explained: map[[2]int]bool{}}
	for {
		s.index()
		if !s.possible() {
			return s.blocks
		}
		merged := false
		for length := 1; length <= len(s.blocks) && !merged; length++ {
			for i := 0; i+length <= len(s.blocks); i++ {
				if s.worthTrying(i, i+length-1) && s.try(i, i+length-1) {
					merged = true
					break
				}
			}
		}
		if !merged {
			return s.blocks
		}
	}
}

// index maps components to blocks and counts, per block, the unexplained
// cuts of its calls (cumulated in cutsUpTo) and the views calling it.
func (s *deadlineScan) index() {
	s.blockOf = map[int32]int{}
	for i, b := range s.blocks {
		for _, c := range b.comps {
			s.blockOf[c] = i
		}
	}
	s.cutsUpTo = make([]int, len(s.blocks)+1)
	s.viewsOf = make([]int, len(s.blocks))
	last := make([]int, len(s.blocks))
	for vi := range s.vs {
		for ci, c := range s.vs[vi].calls {
			b := s.blockOf[c.comp]
			if c.st == stCut && !s.explained[[2]int{vi, ci}] {
				s.cutsUpTo[b+1]++
			}
			if last[b] != vi+1 {
				last[b] = vi + 1
				s.viewsOf[b]++
			}
		}
	}
	for b := range s.blocks {
		s.cutsUpTo[b+1] += s.cutsUpTo[b]
	}
}

// possible reports whether any run of blocks could hold the evidence a
// deadline needs: minEvidence cuts, or cuts and fallback starts.
func (s *deadlineScan) possible() bool {
	if len(s.blocks) == 0 {
		return false
	}
	return s.cutsUpTo[len(s.blocks)]+slices.Max(s.viewsOf) >= minEvidence
}

// worthTrying is a necessary condition for try(i, j), checked in O(1):
// the run's cuts, with the starts of the block after it as a fallback,
// reach minEvidence.
func (s *deadlineScan) worthTrying(i, j int) bool {
	cuts := s.cutsUpTo[j+1] - s.cutsUpTo[i]
	fb := 0
	if j+1 < len(s.blocks) && s.blocks[j+1].tau == 0 {
		fb = s.viewsOf[j+1]
	}
	return cuts+fb >= minEvidence
}

// origin returns the start of blocks i..j in view v: the node's origin for
// the first block, else the run's first call.
func (s *deadlineScan) origin(v *view, i, j int) (int64, bool) {
	o, has := int64(0), false
	for _, c := range v.calls {
		if b := s.blockOf[c.comp]; b >= i && b <= j {
			if !has || c.start < o {
				o = c.start
			}
			has = true
		}
	}
	if i == 0 {
		o = v.origin
	}
	return o, has
}

// try tests blocks i..j (with block j+1 as a fallback, then without) and
// merges them into a Timeout block when a deadline fits.
func (s *deadlineScan) try(i, j int) bool {
	if j+1 < len(s.blocks) && s.blocks[j+1].tau == 0 && s.test(i, j, true) {
		return true
	}
	return s.test(i, j, false)
}

// test checks the deadline hypothesis on blocks i..j.
func (s *deadlineScan) test(i, j int, withFallback bool) bool {
	fb := -1
	if withFallback {
		fb = j + 1
	}
	cuts, starts := s.delays(i, j, fb)
	var tau int64
	var nCuts, nStarts int
	if withFallback {
		// The fallback's start is the deadline: every start agrees.
		_, t, n := cluster(starts, s.d.dlTol)
		tau, nStarts, nCuts = t, n, countNear(cuts, t, s.d.dlTol)
		if n == 0 || n != len(starts) || n+nCuts < minEvidence || tau <= s.d.gap ||
			!s.fallbackOnFailure(i, j, fb, tau) || !s.withinDeadline(i, j, tau) {
			return false
		}
	} else {
		// Without fallback the cuts must show one deadline: several
		// recurring cut delays are the per-try deadlines of a retry (or
		// deadlines of concurrent branches), found further down.
		var found [][]int64
		for _, g := range groups(cuts, s.d.dlTol) {
			if len(g) >= minEvidence {
				found = append(found, g)
			}
		}
		if len(found) != 1 {
			return false
		}
		tau, nCuts = found[0][len(found[0])-1], len(found[0])
		if tau <= s.d.gap || !s.withinDeadline(i, j, tau) {
			return false
		}
	}
	fe := fb
	if withFallback {
		fe = s.fallbackEnd(i, j, fb, tau)
	}
	s.merge(i, j, fb, fe, tau, nCuts, nStarts)
	return true
}

// delays returns, over the views calling blocks i..j, the delays after
// the run's start of its unexplained cuts and of block fb's first start.
func (s *deadlineScan) delays(i, j, fb int) (cuts, starts []int64) {
	for vi := range s.vs {
		v := &s.vs[vi]
		o, has := s.origin(v, i, j)
		if !has {
			continue
		}
		fbStart, fbHas := int64(0), false
		for ci, c := range v.calls {
			b := s.blockOf[c.comp]
			switch {
			case b >= i && b <= j && c.st == stCut && !s.explained[[2]int{vi, ci}]:
				cuts = append(cuts, c.end-o)
			case b == fb && (!fbHas || c.start < fbStart):
				fbStart, fbHas = c.start, true
			}
		}
		if fbHas {
			starts = append(starts, fbStart-o)
		}
	}
	return cuts, starts
}

func countNear(xs []int64, at, tol int64) int {
	n := 0
	for _, x := range xs {
		if absDiff(x, at) <= tol {
			n++
		}
	}
	return n
}

// withinDeadline reports whether every call of blocks i..j ends by the
// deadline τ after the run's start.
func (s *deadlineScan) withinDeadline(i, j int, tau int64) bool {
	for vi := range s.vs {
		v := &s.vs[vi]
		o, has := s.origin(v, i, j)
		if !has {
			continue
		}
		for _, c := range v.calls {
			if b := s.blockOf[c.comp]; b >= i && b <= j && c.end > o+tau+s.d.dlTol {
				return false
			}
		}
	}
	return true
}

// fallbackOnFailure reports whether block fb runs only after blocks i..j
// failed or were cut (or their last call ended within the step gap of the
// deadline, leaving no time for their next step), only when they ran, and
// not always (else it is a plain next step).
func (s *deadlineScan) fallbackOnFailure(i, j, fb int, tau int64) bool {
	without := 0
	for vi := range s.vs {
		v := &s.vs[vi]
		o, _ := s.origin(v, i, j)
		ran, bad, fell := false, false, false
		for _, c := range v.calls {
			switch b := s.blockOf[c.comp]; {
			case b == fb:
				fell = true
			case b >= i && b <= j:
				ran = true
				bad = bad || c.st != stOK || c.end >= o+tau-s.d.step
			}
		}
		if fell && (!ran || !bad) {
			return false
		}
		if ran && !fell {
			without++
		}
	}
	return without >= minEvidence
}

// merge replaces blocks i..j (and the fallback blocks fb..fe, if fb ≥ 0)
// by one Timeout block and marks the cuts at its deadline explained.
func (s *deadlineScan) merge(i, j, fb, fe int, tau int64, nCuts, nStarts int) {
	last := j
	nb := block{tau: tau, cuts: nCuts, fbStarts: nStarts, evidence: nCuts + nStarts}
	for _, b := range s.blocks[i : j+1] {
		nb.primary = append(nb.primary, b.comps...)
	}
	slices.Sort(nb.primary)
	nb.comps = slices.Clone(nb.primary)
	if fb >= 0 {
		last = fe
		for _, b := range s.blocks[fb : fe+1] {
			nb.fallback = append(nb.fallback, b.comps...)
		}
		slices.Sort(nb.fallback)
		nb.comps = append(nb.comps, nb.fallback...)
		slices.Sort(nb.comps)
	}
	for vi := range s.vs {
		v := &s.vs[vi]
		o, has := s.origin(v, i, j)
		if !has {
			continue
		}
		for ci, c := range v.calls {
			if b := s.blockOf[c.comp]; b >= i && b <= j && c.st == stCut && absDiff(c.end-o, tau) <= s.d.dlTol {
				s.explained[[2]int{vi, ci}] = true
			}
		}
	}
	s.blocks = slices.Replace(s.blocks, i, last+1, nb)
}

// fallbackEnd returns the last block of the fallback that starts with
// block fb: the following blocks called only after blocks i..j failed or
// were cut, and after the deadline (the fallback's later steps; its first
// step may be optional).
func (s *deadlineScan) fallbackEnd(i, j, fb int, tau int64) int {
	fe := fb
	for k := fb + 1; k < len(s.blocks) && s.blocks[k].tau == 0; k++ {
		for vi := range s.vs {
			v := &s.vs[vi]
			o, ran := s.origin(v, i, j)
			bad := false
			for _, c := range v.calls {
				b := s.blockOf[c.comp]
				if b >= i && b <= j {
					bad = bad || c.st != stOK || c.end >= o+tau-s.d.step
				}
				if b == k && (!ran || !bad || c.start < o+tau-s.d.dlTol) {
					return fe
				}
			}
		}
		fe = k
	}
	return fe
}
