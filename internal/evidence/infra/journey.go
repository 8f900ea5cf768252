package infra

import (
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// Node returns the route as a journey operator tree, or nil when it routes
// nowhere. Each destination is a leaf named Destination.Name (the version
// a subset selects stays apart here; Attach folds it onto the service).
// The split is a Cond over the destinations with positive weight (the
// probabilities rounded to four decimals, the last the complement)
// (a single destination is a leaf); a retry policy with a per-try timeout
// wraps each destination in a Retry — Envoy picks the weighted destination
// once per request and retries within it; a route timeout wraps the whole
// in a Timeout. A retry policy without any timeout is not expressible (a
// journey Retry needs a per-try timeout) and is left out.
//
// For example, 90/10 between reviews v1 and v2 with timeout 2s and
// retries {attempts: 2, perTryTimeout: 500ms} is
//
//	Timeout(2s; Cond(0.9; Retry(3, 500ms, 25ms; reviews-v1), Retry(3, 500ms, 25ms; reviews-v2)))
func (r Route) Node() journey.Node {
	at := journey.At{Pos: r.Pos}
	var branches []journey.Node
	var probs []journey.Prob
	for _, d := range r.Split {
		if d.Weight <= 0 {
			continue
		}
		var n journey.Node = &journey.Leaf{At: at, Name: d.Name()}
		if r.Attempts > 1 && r.PerTryTimeout > 0 {
			n = &journey.Retry{At: at, Attempts: r.Attempts, PerTryTimeout: r.PerTryTimeout, Backoff: r.Backoff, Target: n}
		}
		branches = append(branches, n)
		probs = append(probs, journey.Prob{Pos: r.Pos, Lo: d.Weight, Hi: d.Weight})
	}
	roundProbs(probs)
	var root journey.Node
	switch len(branches) {
	case 0:
		return nil
	case 1:
		root = branches[0]
	default:
		probs[len(probs)-1].Implicit = true
		root = &journey.Cond{At: at, Probs: probs, Branches: branches}
	}
	if r.Timeout > 0 {
		root = &journey.Timeout{At: at, Timeout: r.Timeout, Primary: root}
	}
	return root
}

// roundProbs rounds the probabilities but the last (the complement of the
// others) to four decimals, unless the rounded ones would exceed 1.
func roundProbs(probs []journey.Prob) {
	if len(probs) < 2 {
		return
	}
	rounded := slices.Clone(probs)
	sum := 0.0
	for i := range rounded[:len(rounded)-1] {
		rounded[i].Lo = round4(rounded[i].Lo)
		rounded[i].Hi = rounded[i].Lo
		sum += rounded[i].Lo
	}
	if sum < 1 {
		rounded[len(rounded)-1].Lo = 1 - sum
		rounded[len(rounded)-1].Hi = 1 - sum
		copy(probs, rounded)
	}
}
