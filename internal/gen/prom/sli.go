package prom

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// SLIs gives journey's pessimistic SLI over one window as a single
// expression for a reader outside the rule groups that substitutes one
// component's leaf rule (a canary gate): For(c) inlines every
// intermediate rule (cut.go) that reads, directly or not, c's leaf rule
// of the window; the others, which the substitution cannot change, stay
// references to their recorded series, so the expression grows with the
// depth of c in the journey, not with the journey's size. Records of a
// long window are read through last_over_time, as the main group reads
// them (tile.go), except c's own leaf rule.
type SLIs struct {
	journey, w string
	root       text
	pieces     map[string]text // intermediate rules by key (name, node)
	// leaves holds, per intermediate rule, the components it reads,
	// directly or through other intermediate rules.
	leaves map[string]map[string]bool
	// leafText is each component's leaf rule selector as printed.
	leafText map[string]string
	// inputs are the selectors the SLI and its intermediate rules read.
	inputs map[string]bool
}

// text is a rule's expression with the references to intermediate rules
// it reads, as printed in it.
type text struct {
	expr   string
	leaves []string // components whose leaf rule it reads directly
	refs   []ref
}

type ref struct {
	key, printed string
}

// NewSLIs prepares the SLIs of journey over window w from its rule
// groups; every expression is parsed once.
func NewSLIs(groups []rulefmt.RuleGroup, journey, w string) (*SLIs, error) {
	s := &SLIs{journey: journey, w: w, pieces: map[string]text{}, leaves: map[string]map[string]bool{},
		leafText: map[string]string{}, inputs: map[string]bool{}}
	names := []string{NodeRecord("", w), NodeRecord("optimistic", w), NodeRecord("pessimistic", w)}
	found := false
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Labels["journey"] != journey {
				continue
			}
			switch {
			case r.Record == PessimisticRecord(w):
				t, err := s.scan(r.Expr)
				if err != nil {
					return nil, err
				}
				s.root, found = t, true
			case slices.Contains(names, r.Record):
				t, err := s.scan(r.Expr)
				if err != nil {
					return nil, err
				}
				s.pieces[r.Record+"\x00"+r.Labels[NodeLabel]] = t
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("no rule records %s", PessimisticRecord(w))
	}
	return s, nil
}

// scan parses expr and lists the leaf rules and intermediate rules it
// reads.
func (s *SLIs) scan(expr string) (text, error) {
	e, err := promql.Parser().ParseExpr(expr)
	if err != nil {
		return text{}, err
	}
	t := text{expr: expr}
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		switch x := n.(type) {
		case *parser.AggregateExpr:
			if key, ok := s.refKey(x); ok && !slices.ContainsFunc(t.refs, func(r ref) bool { return r.key == key }) {
				t.refs = append(t.refs, ref{key: key, printed: x.String()})
			}
		case *parser.VectorSelector:
			printed := x.String()
			s.inputs[printed] = true
			if x.Name == LeafRecord(s.w) && matcher(x, "journey") == s.journey {
				c := matcher(x, "component")
				t.leaves = append(t.leaves, c)
				s.leafText[c] = printed
			}
		}
		return nil
	})
	return t, nil
}

// refKey returns the key of the intermediate rule a reads, if a is a
// reference: sum without (node) (name{journey="J", node="N"}).
func (s *SLIs) refKey(a *parser.AggregateExpr) (string, bool) {
	if a.Op != parser.SUM || !a.Without || !slices.Contains(a.Grouping, NodeLabel) {
		return "", false
	}
	vs, ok := a.Expr.(*parser.VectorSelector)
	if !ok || !strings.HasPrefix(vs.Name, NodeRecordPrefix) || matcher(vs, "journey") != s.journey {
		return "", false
	}
	return vs.Name + "\x00" + matcher(vs, NodeLabel), true
}

// reads returns the components the intermediate rule key reads.
func (s *SLIs) reads(key string) map[string]bool {
	if r, ok := s.leaves[key]; ok {
		return r
	}
	r := map[string]bool{}
	s.leaves[key] = r // cycles cannot occur; this only guards against them
	t := s.pieces[key]
	for _, c := range t.leaves {
		r[c] = true
	}
	for _, k := range t.refs {
		for c := range s.reads(k.key) {
			r[c] = true
		}
	}
	return r
}

// For returns the SLI with component's path inlined (see SLIs).
func (s *SLIs) For(component string) (string, error) {
	out := s.expand(s.root, component)
	d, err := model.ParseDuration(s.w)
	if err != nil || !isTiled(time.Duration(d)) {
		return out, nil
	}
	e, err := promql.Parser().ParseExpr(out)
	if err != nil {
		return "", err
	}
	s.lastOver(&e, component)
	return promql.Reparse(e)
}

// Template returns For(component) with component's leaf rule written as
// the vector selector placeholder (a canary gate's template).
func (s *SLIs) Template(component, placeholder string) (string, error) {
	leaf, ok := s.leafText[component]
	if !ok {
		return "", fmt.Errorf("the SLI does not read the leaf rule %s of component %q", LeafRecord(s.w), component)
	}
	out, err := s.For(component)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(out, leaf, placeholder), nil
}

// Inputs returns the selectors the SLI reads, its intermediate rules
// included, sorted.
func (s *SLIs) Inputs() []string {
	out := make([]string, 0, len(s.inputs))
	for in := range s.inputs {
		out = append(out, in)
	}
	slices.Sort(out)
	return out
}

// expand inlines in t every reference to a rule that reads component.
func (s *SLIs) expand(t text, component string) string {
	out := t.expr
	for _, r := range t.refs {
		if s.reads(r.key)[component] {
			out = strings.ReplaceAll(out, r.printed, "("+s.expand(s.pieces[r.key], component)+")")
		}
	}
	return out
}

// lastOver wraps every selector of a recorded series in e, other than
// component's leaf rule, in last_over_time over two tiles.
func (s *SLIs) lastOver(slot *parser.Expr, component string) {
	if vs, ok := (*slot).(*parser.VectorSelector); ok {
		if vs.Name != LeafRecord(s.w) || matcher(vs, "component") != component {
			*slot = promql.Call("last_over_time", &parser.MatrixSelector{VectorSelector: vs, Range: 2 * TileWindow})
		}
		return
	}
	for _, c := range children(*slot) {
		s.lastOver(c, component)
	}
}

// matcher returns the value of vs's equality matcher on label name.
func matcher(vs *parser.VectorSelector, name string) string {
	for _, m := range vs.LabelMatchers {
		if m.Name == name && m.Type == labels.MatchEqual {
			return m.Value
		}
	}
	return ""
}
