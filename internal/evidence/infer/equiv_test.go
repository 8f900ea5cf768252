package infer

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/journey"
)

// Equivalence of journey trees, as the round trip checks it. Two trees are
// equivalent when their normal forms have the same operators, nesting and
// leaves, and parameters agree within paramTol. The normal form
//
//   - flattens a Series step that is a Series, a Parallel branch that is a
//     Parallel, a Cond branch that is a Cond (multiplying probabilities,
//     merging skips) and an unhedged Race branch that is an unhedged Race —
//     each is the same law;
//   - without a fallback, reads Timeout(τ; Cond(p; A, B)) as
//     Cond(p; Timeout(τ; A), Timeout(τ; B)) (a skip stays a skip) and
//     Timeout(τ; Timeout(σ; A)) as Timeout(min(τ, σ); A);
//   - reads KofN(1; …) as an unhedged Race and KofN(n; n branches) as a
//     Parallel (same success condition and finish time), and
//     Retry(1, τ, b; N) as Timeout(τ; N);
//   - orders the branches of Parallel, Cond, unhedged Race and KofN by
//     their leaves (leaves are distinct), keeping the order of Series
//     steps, Timeout children and hedged Race branches.
//
// Retry attempts are compared separately: traces show the largest number
// of attempts used, which may be below the configured one.
type nnode struct {
	kind     string
	name     string
	key      string
	kids     []*nnode
	probs    []float64
	origIdx  []int
	orig     journey.Node
	k        int
	attempts int
	tau      float64 // Timeout, Retry per-try timeout, Race hedge
	backoff  float64
}

const paramTol = 1.5e-3

func normalize(n journey.Node) *nnode {
	switch n := n.(type) {
	case *journey.Leaf:
		return &nnode{kind: "leaf", name: n.Name, key: n.Name}
	case *journey.Skip:
		return &nnode{kind: "skip", key: "~skip"}
	case *journey.Series:
		return collapse(&nnode{kind: "series", orig: n, kids: flatten("series", 0, n.Steps)})
	case *journey.Parallel:
		return collapse(sorted(&nnode{kind: "parallel", orig: n, kids: flatten("parallel", 0, n.Branches)}))
	case *journey.Cond:
		return normCond(n)
	case *journey.Race:
		if n.HedgeAfter != 0 {
			return keyed(&nnode{kind: "race", orig: n, tau: n.HedgeAfter, kids: flatten("", 0, n.Branches)})
		}
		return sorted(&nnode{kind: "race", orig: n, kids: flatten("race", 0, n.Branches)})
	case *journey.KofN:
		switch n.K {
		case 1:
			return normalize(&journey.Race{Branches: n.Branches})
		case len(n.Branches):
			return normalize(&journey.Parallel{Branches: n.Branches})
		}
		return sorted(&nnode{kind: "kofn", orig: n, k: n.K, kids: flatten("", 0, n.Branches)})
	case *journey.Timeout:
		return normTimeout(n)
	case *journey.Retry:
		if n.Attempts == 1 {
			return normalize(&journey.Timeout{Timeout: n.PerTryTimeout, Primary: n.Target})
		}
		return keyed(&nnode{kind: "retry", orig: n, attempts: n.Attempts, tau: n.PerTryTimeout,
			backoff: n.Backoff, kids: flatten("", 0, n.Children())})
	}
	return &nnode{kind: "?"}
}

// flatten normalizes children, splicing those of the same flattening kind
// (a hedged Race's branches are not spliced).
func flatten(kind string, _ int, kids []journey.Node) []*nnode {
	var out []*nnode
	for _, c := range kids {
		nc := normalize(c)
		if kind != "" && nc.kind == kind && nc.tau == 0 {
			out = append(out, nc.kids...)
			continue
		}
		out = append(out, nc)
	}
	return out
}

func collapse(n *nnode) *nnode {
	if len(n.kids) == 1 {
		return n.kids[0]
	}
	return keyed(n)
}

func keyed(n *nnode) *nnode {
	var ks []string
	for _, c := range n.kids {
		ks = append(ks, strings.Split(c.key, ",")...)
	}
	slices.Sort(ks)
	n.key = strings.Join(ks, ",")
	return n
}

func sorted(n *nnode) *nnode {
	idx := make([]int, len(n.kids))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(n.kids[a].key, n.kids[b].key) })
	kids := make([]*nnode, len(idx))
	var probs []float64
	for i, j := range idx {
		kids[i] = n.kids[j]
		if len(n.probs) > 0 {
			probs = append(probs, n.probs[j])
		}
	}
	if len(n.origIdx) > 0 {
		n.origIdx = reorder(n.origIdx, idx)
	}
	n.kids, n.probs = kids, probs
	return keyed(n)
}

// normCond flattens nested Conds and merges skip branches.
func normCond(c *journey.Cond) *nnode {
	n := &nnode{kind: "cond", orig: c}
	skip := 0.0
	hasSkip := false
	for i, b := range c.Branches {
		p := (c.Probs[i].Lo + c.Probs[i].Hi) / 2
		nb := normalize(b)
		switch nb.kind {
		case "skip":
			skip += p
			hasSkip = true
		case "cond":
			for j, k := range nb.kids {
				n.kids = append(n.kids, k)
				n.probs = append(n.probs, p*nb.probs[j])
				n.origIdx = append(n.origIdx, -1)
			}
		default:
			n.kids = append(n.kids, nb)
			n.probs = append(n.probs, p)
			n.origIdx = append(n.origIdx, i)
		}
	}
	if hasSkip {
		n.kids = append(n.kids, &nnode{kind: "skip", key: "~skip"})
		n.probs = append(n.probs, skip)
		n.origIdx = append(n.origIdx, len(c.Branches)-1)
	}
	return sorted(n)
}

// compare returns the first structural difference between the normal
// forms of want and got ("" when equivalent) and the parameter
// differences.
func compare(want, got *nnode, path string) (diff string, params []string) {
	if want.kind != got.kind || want.key != got.key || len(want.kids) != len(got.kids) {
		return fmt.Sprintf("%s: want %s{%s} with %d children, got %s{%s} with %d", path,
			want.kind, want.key, len(want.kids), got.kind, got.key, len(got.kids)), nil
	}
	switch want.kind {
	case "kofn":
		if want.k != got.k {
			return fmt.Sprintf("%s: want KofN(%d), got KofN(%d)", path, want.k, got.k), nil
		}
	case "timeout", "race":
		if math.Abs(want.tau-got.tau) > paramTol {
			params = append(params, fmt.Sprintf("%s: %s parameter %v, got %v", path, want.kind, want.tau, got.tau))
		}
	case "retry":
		if math.Abs(want.tau-got.tau) > paramTol || math.Abs(want.backoff-got.backoff) > paramTol {
			params = append(params, fmt.Sprintf("%s: retry per-try %v backoff %v, got %v %v", path, want.tau, want.backoff, got.tau, got.backoff))
		}
		if got.attempts > want.attempts || got.attempts < 2 {
			params = append(params, fmt.Sprintf("%s: retry attempts %d, got %d", path, want.attempts, got.attempts))
		}
	}
	for i := range want.kids {
		d, ps := compare(want.kids[i], got.kids[i], fmt.Sprintf("%s/%d", path, i))
		params = append(params, ps...)
		if d != "" {
			return d, params
		}
	}
	return "", params
}

// condCoverage walks two equivalent normal forms and checks each true Cond
// probability against the Wilson interval reported for the inferred one.
func condCoverage(want, got *nnode, info map[journey.Node]NodeInfo, inside, total *int, misses *[]string) {
	if want.kind == "cond" && got.kind == "cond" && len(want.probs) == len(got.probs) {
		ni, ok := info[got.orig]
		for i, p := range want.probs {
			j := got.origIdx[i]
			if !ok || j < 0 || j >= len(ni.Probs) {
				continue
			}
			*total++
			if iv := ni.Probs[j]; p >= iv.Lo-1e-9 && p <= iv.Hi+1e-9 {
				*inside++
			} else {
				*misses = append(*misses, fmt.Sprintf("cond branch %s: p=%v outside [%v, %v]", want.kids[i].key, p, iv.Lo, iv.Hi))
			}
		}
	}
	for i := range min(len(want.kids), len(got.kids)) {
		condCoverage(want.kids[i], got.kids[i], info, inside, total, misses)
	}
}

// nodeInfos maps the nodes of m.Root to their provenance.
func nodeInfos(m *Model) map[journey.Node]NodeInfo {
	byPath := map[string]NodeInfo{}
	for _, n := range m.Nodes {
		byPath[n.Path] = n
	}
	out := map[journey.Node]NodeInfo{}
	var walk func(n journey.Node, path string)
	walk = func(n journey.Node, path string) {
		out[n] = byPath[path]
		for i, c := range n.Children() {
			walk(c, journey.ChildPath(path, c, i))
		}
	}
	walk(m.Root, journey.Label(m.Root))
	return out
}

// normTimeout distributes a Timeout without fallback over a Cond and
// merges nested Timeouts without fallback.
func normTimeout(n *journey.Timeout) *nnode {
	if n.Fallback == nil {
		switch p := n.Primary.(type) {
		case *journey.Cond:
			c := &journey.Cond{Probs: p.Probs}
			for _, b := range p.Branches {
				if _, skip := b.(*journey.Skip); !skip {
					b = &journey.Timeout{Timeout: n.Timeout, Primary: b}
				}
				c.Branches = append(c.Branches, b)
			}
			out := normalize(c)
			out.orig = p
			return out
		case *journey.Timeout:
			if p.Fallback == nil {
				return normalize(&journey.Timeout{Timeout: min(n.Timeout, p.Timeout), Primary: p.Primary})
			}
		}
	}
	return keyed(&nnode{kind: "timeout", orig: n, tau: n.Timeout, kids: flatten("", 0, n.Children())})
}
