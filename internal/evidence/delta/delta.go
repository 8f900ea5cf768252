// Package delta compares two models of one journey — the accepted one (the
// intent's declared tree with its last accepted discovered model) and a
// newly discovered one — and predicts what each difference does to the
// journey's bounds: a ModelDelta (DESIGN §2), reviewed like a code change.
//
// A model is the journey as the compiler would evaluate it: the operator
// tree (the discovered model's when it proposes one, else the intent's),
// the components' evidence (the intent's, plus the model's for components
// only it knows) and every component's failure domains (declared ∪
// discovered). Changes are of four kinds:
//
//   - domain: a failure domain whose member set differs;
//   - edge: a component called in one model and not in the other;
//   - operator: a component whose chain of enclosing operators differs
//     (e.g. it moved from a Series into a Race: redundancy changed);
//   - probability: a Cond, identified by the components of its branches,
//     whose branch probabilities differ;
//   - parameter: the trees differ only in a deadline, hedge delay, k or
//     attempt count (the whole tree is shown before and after).
//
// Each change's effect is the change of A−, A+ and the latency bound
// when that change alone is applied to the accepted model (domain
// changes), or when the new tree replaces the accepted one (edge,
// operator, probability and parameter changes share that effect, as they
// cannot always be applied apart). The accepted model is what eval and
// compile evaluate: the intent's tree with the accepted model's domains. A change is high impact when |ΔA−| ≥ HighAvailability or the
// latency bound moves by at least HighLatency (relative).
package delta

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Impact thresholds of the issue: |ΔA−| ≥ 0.001 or a latency bound
// change ≥ 5 %.
const (
	HighAvailability = 0.001
	HighLatency      = 0.05
)

// Bounds are a model's predicted numbers.
type Bounds struct {
	Optimistic  float64 `json:"optimistic" yaml:"optimistic"`
	Pessimistic float64 `json:"pessimistic" yaml:"pessimistic"`
	// LatencySeconds is the latency number automation uses (the journey's
	// governance.useBoundsForAutomation.latency), 0 without latency
	// objective or evidence, +Inf when unbounded.
	LatencySeconds float64 `json:"latencySeconds" yaml:"latencySeconds"`
	LatencyBound   string  `json:"latencyBound,omitempty" yaml:"latencyBound,omitempty"`
}

// Effect is the predicted change of the bounds.
type Effect struct {
	Pessimistic float64 `json:"pessimistic" yaml:"pessimistic"`
	Optimistic  float64 `json:"optimistic" yaml:"optimistic"`
	// LatencyRelative is (new − old)/old of the latency number; 0 when
	// either side has none, ±Inf when one side is unbounded.
	LatencyRelative float64 `json:"latencyRelative" yaml:"latencyRelative"`
}

// Change is one difference between the models.
type Change struct {
	Kind    string `json:"kind" yaml:"kind"` // domain | edge | operator | probability
	Subject string `json:"subject" yaml:"subject"`
	Before  string `json:"before" yaml:"before"`
	After   string `json:"after" yaml:"after"`
	// Confidence is the new model's confidence in the element (the
	// domain hypothesis, the node, or the model overall).
	Confidence float64 `json:"confidence" yaml:"confidence"`
	Effect     Effect  `json:"effect" yaml:"effect"`
	Impact     string  `json:"impact" yaml:"impact"` // high | low | none
	Note       string  `json:"note,omitempty" yaml:"note,omitempty"`
}

// Delta is the whole comparison.
type Delta struct {
	Journey string   `json:"journey" yaml:"journey"`
	Base    string   `json:"base" yaml:"base"`
	New     string   `json:"new" yaml:"new"`
	Before  Bounds   `json:"before" yaml:"before"`
	After   Bounds   `json:"after" yaml:"after"`
	Effect  Effect   `json:"effect" yaml:"effect"`
	Impact  string   `json:"impact" yaml:"impact"`
	Changes []Change `json:"changes" yaml:"changes"`
}

// Compute compares base and next: the same journey resolved with its
// accepted model and with the new one.
func Compute(base, next *model.Journey) (*Delta, error) {
	b, n := Effective(base, false), Effective(next, true)
	before, err := evaluate(b)
	if err != nil {
		return nil, fmt.Errorf("accepted model: %w", err)
	}
	after, err := evaluate(n)
	if err != nil {
		return nil, fmt.Errorf("new model: %w", err)
	}
	d := &Delta{Journey: base.Name, Base: source(base), New: source(next), Before: before, After: after}
	d.Effect = effect(before, after)
	d.Impact = impact(d.Effect)
	conf := 1.0
	if next.Discovered != nil {
		conf = next.Discovered.Confidence
	}
	domains, err := domainChanges(b, n, before, next)
	if err != nil {
		return nil, err
	}
	var nodeConf map[string]float64
	if next.Discovered != nil {
		nodeConf = next.Discovered.NodeConfidence
	}
	tree, err := treeChanges(b, n, before, conf, nodeConf)
	if err != nil {
		return nil, err
	}
	d.Changes = append(domains, tree...)
	return d, nil
}

// source names where a journey's model came from.
func source(j *model.Journey) string {
	if j.Discovered != nil {
		return j.Discovered.File
	}
	return j.Pos.File + " (declared)"
}

// Effective returns the journey as the compiler evaluates it with its
// discovered model — the intent's tree, every component's domains
// declared ∪ discovered — and, when proposed is true, as it would be once
// the model is accepted: the model's tree, if it has one, replaces the
// intent's, with the model's evidence for components the intent lacks.
// j is not modified.
func Effective(j *model.Journey, proposed bool) *model.Journey {
	out := *j
	out.Components = map[string]*model.Component{}
	for name, c := range j.Components {
		cc := *c
		cc.Domains = c.AllDomains()
		cc.InferredDomains = nil
		out.Components[name] = &cc
	}
	d := j.Discovered
	if d == nil || !proposed {
		return &out
	}
	if d.Root != nil {
		out.Root = d.Root
	}
	for name, c := range d.Components {
		if _, ok := out.Components[name]; ok {
			continue
		}
		cc := *c
		for dom, members := range d.Domains {
			if slices.Contains(members, name) {
				cc.Domains = append(cc.Domains, dom)
			}
		}
		slices.Sort(cc.Domains)
		out.Components[name] = &cc
	}
	return &out
}

// evaluate returns j's bounds.
func evaluate(j *model.Journey) (Bounds, error) {
	ev, err := compute.Evaluate(j)
	if err != nil {
		return Bounds{}, err
	}
	b := Bounds{Optimistic: ev.Availability.Optimistic, Pessimistic: ev.Availability.Pessimistic}
	if l := ev.Latency; l != nil {
		b.LatencyBound = j.Governance.LatencyBound
		switch b.LatencyBound {
		case "estimate":
			b.LatencySeconds = l.EstimateSeconds
		case "dependenceFree":
			b.LatencySeconds = l.UpperBoundSeconds
		default:
			b.LatencyBound = "upperConfidence"
			b.LatencySeconds = l.UpperConfidenceSeconds
		}
	}
	return b, nil
}

func effect(before, after Bounds) Effect {
	e := Effect{Pessimistic: after.Pessimistic - before.Pessimistic, Optimistic: after.Optimistic - before.Optimistic}
	switch {
	case before.LatencySeconds == 0 || after.LatencySeconds == 0:
	case math.IsInf(before.LatencySeconds, 1) && math.IsInf(after.LatencySeconds, 1):
	case math.IsInf(after.LatencySeconds, 1):
		e.LatencyRelative = math.Inf(1)
	case math.IsInf(before.LatencySeconds, 1):
		e.LatencyRelative = math.Inf(-1)
	default:
		e.LatencyRelative = after.LatencySeconds/before.LatencySeconds - 1
	}
	return e
}

func impact(e Effect) string {
	switch {
	case math.Abs(e.Pessimistic) >= HighAvailability || math.Abs(e.LatencyRelative) >= HighLatency:
		return "high"
	case e.Pessimistic == 0 && e.Optimistic == 0 && e.LatencyRelative == 0:
		return "none"
	}
	return "low"
}

// withDomain returns j with domain dom holding exactly members.
func withDomain(j *model.Journey, dom string, members []string) *model.Journey {
	out := *j
	out.Components = map[string]*model.Component{}
	for name, c := range j.Components {
		cc := *c
		cc.Domains = slices.DeleteFunc(slices.Clone(c.Domains), func(d string) bool { return d == dom })
		if slices.Contains(members, name) {
			cc.Domains = append(cc.Domains, dom)
			slices.Sort(cc.Domains)
		}
		out.Components[name] = &cc
	}
	return &out
}

// members maps each domain to its sorted members among j's components.
func members(j *model.Journey) map[string][]string {
	out := map[string][]string{}
	for _, name := range j.ComponentNames() {
		for _, d := range j.Components[name].Domains {
			out[d] = append(out[d], name)
		}
	}
	return out
}

// domainChanges lists the domains whose members differ, each with the
// effect of applying it alone to the accepted model.
func domainChanges(b, n *model.Journey, before Bounds, next *model.Journey) ([]Change, error) {
	mb, mn := members(b), members(n)
	names := slices.Sorted(maps.Keys(mb))
	for d := range mn {
		if _, ok := mb[d]; !ok {
			names = append(names, d)
		}
	}
	slices.Sort(names)
	var out []Change
	for _, d := range names {
		was, now := mb[d], mn[d]
		if slices.Equal(was, now) {
			continue
		}
		// Apply to the accepted model only for components it has.
		applied := slices.DeleteFunc(slices.Clone(now), func(c string) bool { return b.Components[c] == nil })
		after, err := evaluate(withDomain(b, d, applied))
		if err != nil {
			return nil, fmt.Errorf("domain %s: %w", d, err)
		}
		c := Change{Kind: "domain", Subject: d, Before: set(was), After: set(now), Confidence: 1, Effect: effect(before, after)}
		if dd := next.Discovered; dd != nil {
			c.Confidence = dd.Confidence
			if conf, ok := dd.DomainConfidence[d]; ok {
				c.Confidence = conf
			}
		}
		c.Impact = impact(c.Effect)
		c.Note = domainNote(d, was, now)
		out = append(out, c)
	}
	return out, nil
}

func domainNote(d string, was, now []string) string {
	var added, removed []string
	for _, m := range now {
		if !slices.Contains(was, m) {
			added = append(added, m)
		}
	}
	for _, m := range was {
		if !slices.Contains(now, m) {
			removed = append(removed, m)
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, strings.Join(added, ", ")+" joined "+d)
	}
	if len(removed) > 0 {
		parts = append(parts, strings.Join(removed, ", ")+" left "+d)
	}
	if len(now) > 1 {
		parts = append(parts, "shared fate: redundancy among "+strings.Join(now, ", ")+" no longer counts in A−")
	}
	return strings.Join(parts, "; ")
}

func set(xs []string) string {
	if len(xs) == 0 {
		return "{}"
	}
	return "{" + strings.Join(xs, ", ") + "}"
}

// treeChanges lists edge, operator and probability changes.
func treeChanges(b, n *model.Journey, before Bounds, conf float64, nodeConf map[string]float64) ([]Change, error) {
	if b.Root == nil || n.Root == nil || b.Root.String() == n.Root.String() {
		return nil, nil
	}
	ctxB, ctxN := contexts(b.Root), contexts(n.Root)
	var structural []Change
	for _, leaf := range slices.Sorted(maps.Keys(ctxB)) {
		if _, ok := ctxN[leaf]; !ok {
			structural = append(structural, Change{Kind: "edge", Subject: "journey → " + leaf, Before: "called", After: "not called", Confidence: conf})
		}
	}
	for _, leaf := range slices.Sorted(maps.Keys(ctxN)) {
		was, ok := ctxB[leaf]
		switch {
		case !ok:
			structural = append(structural, Change{Kind: "edge", Subject: "journey → " + leaf, Before: "not called", After: "called", Confidence: conf})
		case was != ctxN[leaf]:
			structural = append(structural, Change{Kind: "operator", Subject: leaf, Before: was, After: ctxN[leaf], Confidence: conf})
		}
	}
	probs := probabilityChanges(b.Root, n.Root, conf, nodeConf)
	if len(structural) == 0 && len(probs) == 0 {
		// Same operators around the same components: a deadline, hedge
		// delay, k, attempt count or an unprinted digit of a probability.
		structural = append(structural, Change{Kind: "parameter", Subject: "operator tree",
			Before: b.Root.String(), After: n.Root.String(), Confidence: conf})
	}
	// The tree replaces the accepted one; components only the new model
	// knows bring their evidence.
	tree := *b
	tree.Root = n.Root
	tree.Components = maps.Clone(b.Components)
	for name, c := range n.Components {
		if tree.Components[name] == nil {
			tree.Components[name] = c
		}
	}
	after, err := evaluate(&tree)
	if err != nil {
		return nil, fmt.Errorf("new tree: %w", err)
	}
	e := effect(before, after)
	out := slices.Concat(structural, probs)
	for i := range out {
		out[i].Effect, out[i].Impact = e, impact(e)
		var notes []string
		if len(out) > 1 {
			notes = append(notes, "effect of the whole new tree (its changes apply together)")
		}
		if leaf, ok := strings.CutPrefix(out[i].Subject, "journey → "); ok && out[i].After == "called" {
			if c := tree.Components[leaf]; c != nil && c.Latency == nil {
				notes = append(notes, "no latency evidence for "+leaf+": the latency effect counts its calls as instantaneous")
			}
		}
		out[i].Note = strings.Join(notes, "; ")
	}
	return out, nil
}

// contexts maps each leaf to the chain of operators above it, e.g.
// "series > timeout > race".
func contexts(root journey.Node) map[string]string {
	out := map[string]string{}
	var walk func(n journey.Node, chain []string)
	walk = func(n journey.Node, chain []string) {
		if l, ok := n.(*journey.Leaf); ok {
			c := strings.Join(chain, " > ")
			if prev, seen := out[l.Name]; seen && prev != c {
				c = prev + " | " + c
			}
			out[l.Name] = c
			return
		}
		next := append(slices.Clone(chain), journey.Kind(n))
		for _, c := range n.Children() {
			walk(c, next)
		}
	}
	walk(root, nil)
	return out
}

// probabilityChanges matches the Conds of the two trees by the leaves of
// their branches and lists those whose probabilities differ.
func probabilityChanges(b, n journey.Node, conf float64, nodeConf map[string]float64) []Change {
	paths := pathsOf(n)
	conds := func(root journey.Node) map[string]*journey.Cond {
		out := map[string]*journey.Cond{}
		journey.Walk(root, func(x journey.Node) bool {
			if c, ok := x.(*journey.Cond); ok {
				var keys []string
				for _, br := range c.Branches {
					keys = append(keys, strings.Join(journey.Leaves(br), "+"))
				}
				out[strings.Join(keys, " | ")] = c
			}
			return true
		})
		return out
	}
	cb, cn := conds(b), conds(n)
	var out []Change
	for _, key := range slices.Sorted(maps.Keys(cn)) {
		old, ok := cb[key]
		if !ok {
			continue
		}
		was, now := probText(old.Probs), probText(cn[key].Probs)
		if was != now {
			c := conf
			if v, ok := nodeConf[paths[cn[key]]]; ok {
				c = v
			}
			out = append(out, Change{Kind: "probability", Subject: "Cond(" + key + ")", Before: was, After: now, Confidence: c})
		}
	}
	return out
}

func probText(ps []journey.Prob) string {
	var parts []string
	for _, p := range ps {
		// The values, not a parameter's name, to 12 digits (an implicit
		// complement 1 − 0.8 prints as 0.2).
		bound := journey.Prob{Lo: round12(p.Lo), Hi: round12(p.Hi)}
		parts = append(parts, bound.String())
	}
	return strings.Join(parts, ", ")
}

// pathsOf maps every node of root to its derivation path
// (journey.ChildPath), the key of a discovered model's node confidences.
func pathsOf(root journey.Node) map[journey.Node]string {
	out := map[journey.Node]string{}
	var walk func(n journey.Node, path string)
	walk = func(n journey.Node, path string) {
		out[n] = path
		for i, c := range n.Children() {
			walk(c, journey.ChildPath(path, c, i))
		}
	}
	walk(root, journey.Label(root))
	return out
}

func round12(x float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 12, 64), 64)
	return v
}
