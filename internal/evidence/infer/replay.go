package infer

import (
	"math"
	"slices"

	"github.com/emac-dev/emac/internal/journey"
)

// played is what replaying an inferred subtree over an instance's calls
// tells: whether it ran (called anything or took a skip), whether it
// succeeded, and when its calls started and ended.
type played struct {
	ran, ok    bool
	start, end int64
}

// replay evaluates subtree n over the calls cs with the operators'
// semantics, each leaf succeeding when its last call did. It decides
// whether earlier Series steps succeeded without reading the step that
// follows them.
func (d *decomposer) replay(n journey.Node, cs []call) played {
	switch n := n.(type) {
	case *journey.Leaf:
		return d.replayLeaf(n.Name, cs)
	case *journey.Skip:
		return played{ran: true, ok: true, start: -1, end: -1}
	case *journey.Series:
		return d.replaySeries(n.Steps, cs)
	case *journey.Parallel:
		return d.replayKofN(len(n.Branches), n.Branches, cs)
	case *journey.Cond:
		skip := false
		for _, b := range n.Branches {
			if _, ok := b.(*journey.Skip); ok {
				skip = true
				continue
			}
			if r := d.replay(b, cs); r.ran {
				return r
			}
		}
		return played{ran: skip, ok: skip, start: -1, end: -1}
	case *journey.Race:
		return d.replayKofN(1, n.Branches, cs)
	case *journey.KofN:
		return d.replayKofN(n.K, n.Branches, cs)
	case *journey.Timeout:
		return d.replayTimeout(n, cs)
	case *journey.Retry:
		return d.replayRetry(n, cs)
	}
	return played{}
}

func (d *decomposer) replayLeaf(name string, cs []call) played {
	c, found := slices.BinarySearch(d.names, name)
	if !found {
		return played{}
	}
	r := played{}
	for _, x := range cs {
		if x.comp != int32(c) {
			continue
		}
		if !r.ran {
			r.start = x.start
		}
		r.ran, r.ok, r.end = true, x.st == stOK, x.end
	}
	return r
}

func (d *decomposer) replaySeries(steps []journey.Node, cs []call) played {
	r := played{ok: true, start: -1, end: -1}
	for _, s := range steps {
		p := d.replay(s, cs)
		if !p.ran {
			return played{ran: r.ran, start: r.start, end: r.end}
		}
		r.ran = true
		if p.start >= 0 {
			if r.start < 0 {
				r.start = p.start
			}
			r.end = p.end
		}
		if !p.ok {
			r.ok = false
			return r
		}
	}
	return r
}

// replayKofN succeeds when k branches succeeded, ending at the k-th
// success (k = len(branches): a Parallel).
func (d *decomposer) replayKofN(k int, branches []journey.Node, cs []call) played {
	r := played{start: -1, end: -1}
	var ends []int64
	for _, b := range branches {
		p := d.replay(b, cs)
		if !p.ran {
			continue
		}
		r.ran = true
		if p.start >= 0 && (r.start < 0 || p.start < r.start) {
			r.start = p.start
		}
		r.end = max(r.end, p.end)
		if p.ok {
			ends = append(ends, p.end)
		}
	}
	if len(ends) >= k {
		slices.Sort(ends)
		r.ok, r.end = true, ends[k-1]
	}
	return r
}

func (d *decomposer) replayTimeout(n *journey.Timeout, cs []call) played {
	p := d.replay(n.Primary, cs)
	tau := int64(math.Round(n.Timeout * 1e9))
	if p.ok && (p.start < 0 || p.end <= p.start+tau+d.dlTol) {
		return p
	}
	if n.Fallback == nil {
		p.ok = false
		return p
	}
	f := d.replay(n.Fallback, cs)
	if !f.ran {
		return played{ran: p.ran, start: p.start, end: p.end}
	}
	if p.start >= 0 {
		f.start = p.start
	}
	return f
}

// replayRetry replays the target on the calls of its last attempt.
func (d *decomposer) replayRetry(n *journey.Retry, cs []call) played {
	names := journey.Leaves(n.Target)
	first := int64(-1)
	for _, c := range cs {
		if slices.Contains(names, d.names[c.comp]) && (first < 0 || c.start < first) {
			first = c.start
		}
	}
	if first < 0 {
		return d.replay(n.Target, cs)
	}
	period := max(int64(math.Round((n.PerTryTimeout+n.Backoff)*1e9)), 1)
	last := int64(0)
	for _, c := range cs {
		if slices.Contains(names, d.names[c.comp]) {
			last = max(last, (c.start-first+d.dlTol)/period)
		}
	}
	var att []call
	for _, c := range cs {
		if c.start >= first+last*period-d.dlTol {
			att = append(att, c)
		}
	}
	r := d.replay(n.Target, att)
	if r.ran {
		r.start = first
	}
	return r
}
