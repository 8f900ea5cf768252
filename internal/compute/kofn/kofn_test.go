package kofn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGroupwiseKofNIssueExample: KofN(3) over zones {n1,n2}, {n3,n4},
// {n5}, each 0.99 (issue 10): the minimum over independent zones with any
// dependence inside a zone is 0.999702 — the dependence-free bound gave
// 0.98324 (about 56× the unavailability).
func TestGroupwiseKofNIssueExample(t *testing.T) {
	a := []float64{0.99, 0.99, 0.99, 0.99, 0.99}
	r := GroupwiseMin(a, [][]int{{0, 1}, {2, 3}, {4}}, 3)
	if math.Abs(r.Value-0.999702) > 1e-9 || !r.Exact {
		t.Errorf("got %+v, want 0.999702 exactly", r)
	}
}

// countLawTail returns P(Σ S_g ≥ k) for independent groups with the given
// laws (law[g][c] = P(S_g = c)) and independent Bernoulli singletons.
func countLawTail(laws [][]float64, k int) float64 {
	d := []float64{1}
	for _, law := range laws {
		next := make([]float64, len(d)+len(law)-1)
		for c, pc := range d {
			for x, px := range law {
				next[c+x] += pc * px
			}
		}
		d = next
	}
	var p float64
	for c := k; c < len(d); c++ {
		p += d[c]
	}
	return p
}

// randomLaw draws a law on {0..m} with mean mu: a random law, then mass
// moved between its lowest and highest points until the mean is mu.
func randomLaw(rng *rand.Rand, m int, mu float64) []float64 {
	for {
		law := make([]float64, m+1)
		var s float64
		for i := range law {
			law[i] = rng.ExpFloat64()
			s += law[i]
		}
		var mean float64
		for i := range law {
			law[i] /= s
			mean += float64(i) * law[i]
		}
		// Mix with the point mass at 0 or at m to hit mu exactly.
		target := float64(m)
		if mean > mu {
			target = 0
		}
		w := (mu - mean) / (target - mean) // weight of the point mass
		if w < 0 || w > 1 {
			continue
		}
		for i := range law {
			law[i] *= 1 - w
		}
		law[int(target)] += w
		return law
	}
}

// TestGroupwiseKofNIsTheMinimum: on random small cases, no law of the
// class (random laws per group with the members' mean) gives less than
// GroupwiseMin, and the two-point law it found is in the class, so the
// value is the exact minimum; a merged (relaxed) result is never above it.
func TestGroupwiseKofNIsTheMinimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 300 {
		var groups [][]int
		var a []float64
		for g := range 1 + rng.IntN(4) {
			size := 1 + rng.IntN(3)
			var members []int
			for range size {
				members = append(members, len(a))
				a = append(a, 0.5+0.5*rng.Float64())
			}
			groups = append(groups, members)
			_ = g
		}
		k := 1 + rng.IntN(len(a))
		r := GroupwiseMin(a, groups, k)
		for range 200 {
			laws := make([][]float64, len(groups))
			for gi, g := range groups {
				var mu float64
				for _, i := range g {
					mu += a[i]
				}
				laws[gi] = randomLaw(rng, len(g), mu)
			}
			if p := countLawTail(laws, k); p < r.Value-1e-12 {
				t.Fatalf("trial %d: a law of the class gives %.12f < %.12f (a=%v groups=%v k=%d)", trial, p, r.Value, a, groups, k)
			}
		}
		if r.Value > minPathOrIndependent(a, k)+1e-12 {
			t.Fatalf("trial %d: groupwise %.12f above the independent tail", trial, r.Value)
		}
	}
}

// minPathOrIndependent is the independent Poisson-binomial tail, a law of
// the class (independence is one dependence).
func minPathOrIndependent(a []float64, k int) float64 {
	laws := make([][]float64, len(a))
	for i, x := range a {
		laws[i] = []float64{1 - x, x}
	}
	return countLawTail(laws, k)
}

// TestGroupwiseKofNRelaxationIsSound: with the budget forcing merges, the
// value never exceeds the exact minimum.
func TestGroupwiseKofNRelaxationIsSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 100 {
		var groups [][]int
		var a []float64
		for range 6 {
			var members []int
			for range 3 {
				members = append(members, len(a))
				a = append(a, 0.9+0.1*rng.Float64())
			}
			groups = append(groups, members)
		}
		k := 2 + rng.IntN(len(a)-2)
		exact := GroupwiseMin(a, groups, k)
		relaxed := groupwiseMin(a, groups, k, 8)
		if relaxed.Exact || relaxed.Value > exact.Value+1e-12 {
			t.Fatalf("relaxed %+v, exact %+v", relaxed, exact)
		}
	}
}
