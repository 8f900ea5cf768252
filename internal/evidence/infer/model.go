package infer

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/limits"
)

// Model infers the journey model from the traces added so far. Without a
// selected journey it uses the only root operation, and fails listing the
// candidates when there are several.
func (b *Builder) Model() (*Model, error) {
	g, err := b.selected()
	if err != nil {
		return nil, err
	}
	names, infos, local := b.localComponents(g)
	if len(names) == 0 {
		return nil, b.noCalls(g)
	}
	if len(names) > b.opts.MaxComponents {
		return nil, &limits.Error{What: fmt.Sprintf("journey %q: its %s distinct components", g.op, limits.Count(int64(len(names)))),
			Limit: int64(b.opts.MaxComponents), Unit: "components", Flag: FlagMaxComponents}
	}
	insts := b.localInstances(g, local)
	asyncNote := alignCancels(insts, b.opts.Gap.Nanoseconds())
	d, root := b.decompose(names, insts)
	m := &Model{Journey: g.op, Service: g.service, Root: root}
	m.Components = b.components(names, infos, insts, d.traceIDs)
	m.Domains = b.domains(names, infos, insts, m.Components)
	m.Nodes = d.nodes(m.Root, m.Components)
	b.summary(m, insts)
	m.Confidence = overall(m)
	for s := range d.notes {
		m.Notes = append(m.Notes, s)
	}
	for s := range b.notes {
		m.Notes = append(m.Notes, s)
	}
	if asyncNote != "" {
		m.Notes = append(m.Notes, asyncNote)
	}
	slices.Sort(m.Notes)
	return m, nil
}

// decompose infers the tree. When instances stopped before a step the
// tree requires without any call recording a failure, the failure is
// attributed to the last call of the steps they ran (truncation), and
// the tree is inferred again with those failures known.
func (b *Builder) decompose(names []string, insts []instance) (*decomposer, journey.Node) {
	mode := stopFailed
	if !slices.ContainsFunc(insts, func(in instance) bool { return in.known || in.failed }) {
		mode = stopAlways // no root records its outcome
	}
	trusted := trustedComponents(len(names), insts)
	run := func() (*decomposer, journey.Node) {
		d := b.decomposer(names, insts)
		d.trusted = trusted
		d.step = stepGap(insts, d.gap)
		d.stopMode = mode
		vs := make([]view, len(insts))
		for i := range insts {
			vs[i] = view{in: int32(i), calls: slices.Clone(insts[i].calls), stop: never, reached: true, ok: !insts[i].failed, tail: true}
		}
		return d, d.node(allComponents(len(names)), vs, 0)
	}
	d, root := run()
	for i := range insts {
		// A failed instance no call of which recorded a failure: its last
		// call is the likeliest to have failed it.
		in := &insts[i]
		if _, seen := d.truncated[int32(i)]; !seen && in.failed && !explained(in.calls) {
			ref := callRef{}
			if k := lastCall(in.calls); k >= 0 {
				ref = callRef{comp: in.calls[k].comp, start: in.calls[k].start, ok: true}
			}
			d.truncated[int32(i)] = ref
		}
	}
	silent := attributeSilent(insts, d.silent)
	if n := attributeTruncations(insts, d.truncated, trusted); n+silent > 0 {
		d, root = run()
		if n > 0 {
			d.note("%d instances stopped before a step the journey requires with no failure recorded; each counts as a failure of the last call it made (truncation)", n)
		}
		if silent > 0 {
			d.note("%d calls that recorded no outcome must have failed, from how the Race or KofN around them decided; they count as failures", silent)
		}
	}
	return d, root
}

// trustedComponents reports, per component, whether its spans record
// outcomes: some call of it recorded one (an HTTP or gRPC code, a
// status), or failed by its status. The successes of such a component
// are taken at their word.
func trustedComponents(n int, insts []instance) []bool {
	out := make([]bool, n)
	for i := range insts {
		for _, c := range insts[i].calls {
			switch {
			case c.st == stOK && c.known, c.st == stErr && c.ev != evTruncate && c.ev != evDecision:
				out[c.comp] = true
			}
		}
	}
	return out
}

// attributeSilent marks as failed the calls recorded in silent, and
// returns their number.
func attributeSilent(insts []instance, silent map[int32][]callRef) int {
	n := 0
	for i, refs := range silent {
		cs := insts[i].calls
		for _, ref := range refs {
			for k := range cs {
				if c := &cs[k]; c.comp == ref.comp && c.start == ref.start && c.st == stOK && !c.known {
					c.st, c.ev = stErr, evDecision
					n++
					break
				}
			}
		}
	}
	return n
}

func allComponents(n int) []int32 {
	S := make([]int32, n)
	for i := range S {
		S[i] = int32(i)
	}
	return S
}

// attributeTruncations marks, in each truncated instance, the call
// recorded (the last one of the steps it ran, if any) as failed by
// truncation — unless its component's spans record outcomes (it said
// it succeeded: the failure is the journey entry's own) — and the
// instance as failed; it returns the number of instances changed.
func attributeTruncations(insts []instance, truncated map[int32]callRef, trusted []bool) int {
	n := 0
	for i, ref := range truncated {
		in := &insts[i]
		if explained(in.calls) {
			continue
		}
		if ref.ok && !trusted[ref.comp] {
			for k := range in.calls {
				if c := &in.calls[k]; c.comp == ref.comp && c.start == ref.start {
					c.st, c.ev = stErr, evTruncate
					break
				}
			}
		}
		in.failed = true
		n++
	}
	return n
}

// noCalls explains a journey whose instances make no calls.
func (b *Builder) noCalls(g *group) error {
	c := b.spans
	msg := fmt.Sprintf("journey %q: its %d instances make no calls", g.op, len(g.insts))
	var why []string
	if c.spans > 0 && c.parented == 0 {
		why = append(why, "no span names a parent, so no span lies below the journey's root")
	}
	if c.unkinded > 0 {
		why = append(why, fmt.Sprintf("%d traces have no span kinds; roles were inferred from service changes, and none of their spans below the root is of another service", c.unkinded))
	} else if c.kinded > 0 {
		why = append(why, "below the root no span is a client or producer span, names its peer (peer.service, db.system, server.address) or is a server span of another service")
	}
	if len(why) > 0 {
		msg += ": " + strings.Join(why, "; ")
	}
	return errors.New(msg)
}

// selected returns the group of the selected journey.
func (b *Builder) selected() (*group, error) {
	if b.op != "" {
		g := b.groups[""]
		if g == nil || len(g.insts) == 0 {
			return nil, fmt.Errorf("no span of operation %q in the traces", strings.TrimSpace(b.svc+" "+b.op))
		}
		return g, nil
	}
	switch len(b.groups) {
	case 0:
		return nil, errors.New("no traces")
	case 1:
		for _, g := range b.groups {
			return g, nil
		}
	}
	var cs []string
	for _, c := range b.Candidates() {
		if c.Root {
			cs = append(cs, fmt.Sprintf("%q (%d traces)", c.Service+" "+c.Operation, c.Traces))
		}
	}
	return nil, fmt.Errorf("traces have %d root operations; select a journey among %s", len(b.groups), strings.Join(cs, ", "))
}

// localComponents numbers the components called in g by name and
// returns their names, their infos (by local number) and the map from
// global to local numbers.
func (b *Builder) localComponents(g *group) (names []string, infos []*compInfo, local map[int32]int32) {
	seen := map[int32]bool{}
	for i := range g.insts {
		for _, c := range g.insts[i].calls {
			seen[c.comp] = true
		}
	}
	var keys []compKey
	for c := range seen {
		keys = append(keys, b.comps[c].key)
	}
	byKey := componentNames(keys)
	idx := make([]int32, 0, len(seen))
	for c := range seen {
		idx = append(idx, c)
	}
	slices.SortFunc(idx, func(x, y int32) int { return strings.Compare(byKey[b.comps[x].key], byKey[b.comps[y].key]) })
	local = map[int32]int32{}
	for i, c := range idx {
		names = append(names, byKey[b.comps[c].key])
		infos = append(infos, b.comps[c])
		local[c] = int32(i)
	}
	return names, infos, local
}

// localInstances returns g's instances sorted by start and trace ID, with
// calls renumbered and server-span times corrected for clock skew.
func (b *Builder) localInstances(g *group, local map[int32]int32) []instance {
	out := make([]instance, len(g.insts))
	for i, in := range g.insts {
		in.calls = slices.Clone(in.calls)
		for k := range in.calls {
			c := &in.calls[k]
			if c.skewed {
				info := b.comps[c.comp]
				if info.skewN > 0 {
					skew, delay := info.skewSum/float64(info.skewN), info.delaySum/float64(info.skewN)
					c.start -= int64(skew + delay)
					c.end -= int64(skew - delay)
				}
			}
			c.comp = local[c.comp]
		}
		sortCalls(in.calls)
		out[i] = in
	}
	slices.SortFunc(out, func(x, y instance) int {
		return cmp.Or(cmp.Compare(x.start, y.start), strings.Compare(b.traceIDs[x.trace], b.traceIDs[y.trace]))
	})
	return out
}

func (b *Builder) decomposer(names []string, insts []instance) *decomposer {
	o := b.opts
	gap := o.Gap.Nanoseconds()
	return &decomposer{
		names: names, insts: insts, traceIDs: b.traceIDs,
		eps: int64(500 * time.Nanosecond), gap: gap, skewTol: o.SkewTolerance.Nanoseconds(), dlTol: gap / 2,
		maxEx: o.MaxExamples, conf: o.Confidence, pointHW: o.PointHalfWidth,
		info: map[journey.Node]*nodeInfo{}, notes: map[string]bool{}, truncated: map[int32]callRef{}, silent: map[int32][]callRef{},
	}
}

// nodes lists the provenance of every node of root, depth first; a leaf
// takes its component's confidence.
func (d *decomposer) nodes(root journey.Node, comps []Component) []NodeInfo {
	conf := map[string]float64{}
	for _, c := range comps {
		conf[c.Name] = c.Confidence
	}
	var out []NodeInfo
	var walk func(n journey.Node, path string)
	walk = func(n journey.Node, path string) {
		ni := NodeInfo{Path: path, Kind: journey.Kind(n), Confidence: 1}
		if in := d.info[n]; in != nil {
			ni.Confidence, ni.Signals, ni.Traces, ni.Examples, ni.Probs = in.conf, in.signals, in.traces, in.examples, in.probs
		}
		if l, ok := n.(*journey.Leaf); ok {
			ni.Confidence = min(ni.Confidence, conf[l.Name])
		}
		out = append(out, ni)
		for i, c := range n.Children() {
			walk(c, journey.ChildPath(path, c, i))
		}
	}
	walk(root, journey.Label(root))
	return out
}

// summary fills the counts, window and sources.
func (b *Builder) summary(m *Model, insts []instance) {
	m.Traces = len(insts)
	srcs := map[string]bool{}
	var first, last int64
	for i, in := range insts {
		if in.failed {
			m.Failed++
		}
		srcs[b.srcs[in.src]] = true
		if i == 0 || in.start < first {
			first = in.start
		}
		last = max(last, in.start+in.dur)
	}
	m.Window = [2]time.Time{time.Unix(0, first).UTC(), time.Unix(0, last).UTC()}
	for s := range srcs {
		m.Sources = append(m.Sources, s)
	}
	slices.Sort(m.Sources)
}

// overall is the model's confidence: the smallest confidence of its
// operator nodes and components (a model is as credible as its weakest
// inference).
func overall(m *Model) float64 {
	c := 1.0
	for _, n := range m.Nodes {
		c = min(c, n.Confidence)
	}
	return c
}

// stepGap estimates from the data the idle time between a Series step's
// end and the next step's start: among the calls starting within gap of
// the end of an earlier call, the delays fill a dense range near zero
// (true steps) above which only chance coincidences remain. The estimate
// is 1.5 times the end of that dense range (bins of gap/20 holding at
// least a fifth of the fullest bin), at most gap.
func stepGap(insts []instance, gap int64) int64 {
	const bins = 20
	var hist [bins]int
	var ends []call
	for _, in := range insts {
		ends = stepDelays(in.calls, gap, ends, func(delay int64) {
			hist[min(int(delay*bins/max(gap, 1)), bins-1)]++
		})
	}
	top := slices.Max(hist[:])
	if top == 0 {
		return gap
	}
	last := 0
	for i, n := range hist {
		if 5*n >= top {
			last = i
		}
	}
	return min(gap, int64(last+1)*gap/bins*3/2)
}

// stepDelays calls fn, for each call c of cs (sorted by start) that
// starts within gap of the latest end (≥ 0) of a call of another
// component ending by c's start, with that delay. It sweeps the calls by
// end, keeping the latest end and the latest end of another component,
// so it takes O(n log n) for n calls. buf is scratch space, returned for
// reuse.
func stepDelays(cs []call, gap int64, buf []call, fn func(delay int64)) []call {
	if !slices.IsSortedFunc(cs, func(a, b call) int { return cmp.Compare(a.start, b.start) }) {
		cs = slices.SortedFunc(slices.Values(cs), func(a, b call) int { return cmp.Compare(a.start, b.start) })
	}
	ends := append(buf[:0], cs...)
	slices.SortFunc(ends, func(a, b call) int { return cmp.Compare(a.end, b.end) })
	var top, second call // latest end; latest end of another component
	hasTop, hasSecond := false, false
	k := 0
	for _, c := range cs {
		for ; k < len(ends) && ends[k].end <= c.start; k++ {
			e := ends[k]
			if e.end < 0 {
				continue
			}
			if hasTop && e.comp != top.comp {
				second, hasSecond = top, true
			}
			top, hasTop = e, true
		}
		best, ok := top.end, hasTop
		if hasTop && top.comp == c.comp {
			best, ok = second.end, hasSecond
		}
		if ok && c.start-best <= gap {
			fn(c.start - best)
		}
	}
	return ends
}
