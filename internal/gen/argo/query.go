package argo

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/prom"
	"github.com/emac-dev/emac/internal/gen/promql"
)

// Placeholder is the metric name that stands for a component's leaf ratio
// in Component.SLI.
const Placeholder = "emac_canary_ratio"

// guardLabel is the label the component guard compares on.
const guardLabel = "emac_component"

// arg returns the Argo template reference to argument name.
func arg(name string) string { return "{{args." + name + "}}" }

// ComponentSLI turns sli, the journey's pessimistic SLI over window w as
// package prom records it (prom.PessimisticRecord), into the template of
// Component.SLI: every selector of component's leaf rule
// (prom.LeafRecord(w) with component="component") becomes Placeholder.
func ComponentSLI(sli, journey, component, w string) (string, error) {
	e, err := promql.Parser().ParseExpr(sli)
	if err != nil {
		return "", err
	}
	n := 0
	e = replace(e, func(x parser.Expr) parser.Expr {
		if isLeafRule(x, journey, component, w) {
			n++
			return placeholder()
		}
		return nil
	})
	if n == 0 {
		return "", fmt.Errorf("the SLI does not read the leaf rule %s of component %q", prom.LeafRecord(w), component)
	}
	return e.String(), nil
}

func placeholder() *parser.VectorSelector {
	return &parser.VectorSelector{Name: Placeholder, LabelMatchers: []*labels.Matcher{
		labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, Placeholder)}}
}

// isLeafRule reports whether e selects the leaf rule of component over w.
func isLeafRule(e parser.Expr, journey, component, w string) bool {
	vs, ok := e.(*parser.VectorSelector)
	if !ok || vs.Name != prom.LeafRecord(w) {
		return false
	}
	want := map[string]string{"component": component, "journey": journey}
	for _, m := range vs.LabelMatchers {
		if v, ok := want[m.Name]; ok && (m.Type != labels.MatchEqual || m.Value != v) {
			return false
		}
		delete(want, m.Name)
	}
	return len(want) == 0
}

// replace returns e with every sub-expression x for which f(x) is not nil
// replaced by f(x); the replacements are not searched further.
func replace(e parser.Expr, f func(parser.Expr) parser.Expr) parser.Expr {
	if r := f(e); r != nil {
		return r
	}
	switch n := e.(type) {
	case *parser.BinaryExpr:
		n.LHS, n.RHS = replace(n.LHS, f), replace(n.RHS, f)
	case *parser.ParenExpr:
		n.Expr = replace(n.Expr, f)
	case *parser.UnaryExpr:
		n.Expr = replace(n.Expr, f)
	case *parser.Call:
		for i := range n.Args {
			n.Args[i] = replace(n.Args[i], f)
		}
	case *parser.AggregateExpr:
		n.Expr = replace(n.Expr, f)
		if n.Param != nil {
			n.Param = replace(n.Param, f)
		}
	case *parser.SubqueryExpr:
		n.Expr = replace(n.Expr, f)
	case *parser.StepInvariantExpr:
		n.Expr = replace(n.Expr, f)
	}
	return e
}

// canarySLI returns the journey SLI template of c over w with every
// Placeholder replaced by the canary's leaf ratio. The template is the
// printed AST of a parsed expression and the ratio a printed call, which
// the grammar accepts wherever a vector selector stands, so the
// substitution is made on the text (a journey of a thousand components
// has templates of megabytes); the joined gate query is parsed again
// (burnQueryText).
func (s settings) canarySLI(c Component, w string, d time.Duration) (string, error) {
	tmpl, ok := c.SLI[w]
	if !ok {
		return "", fmt.Errorf("no journey SLI template for window %s", w)
	}
	ratio, err := s.canaryRatio(c, d)
	if err != nil {
		return "", err
	}
	text := ratio.String()
	var b strings.Builder
	n := 0
	for {
		i := placeholderAt(tmpl)
		if i < 0 {
			break
		}
		rest := strings.TrimLeft(tmpl[i+len(Placeholder):], " ")
		if strings.HasPrefix(rest, "[") || strings.HasPrefix(rest, "{") {
			return "", fmt.Errorf("journey SLI template of window %s: %s is not an instant vector there", w, Placeholder)
		}
		b.WriteString(tmpl[:i])
		b.WriteString(text)
		tmpl = tmpl[i+len(Placeholder):]
		n++
	}
	if n == 0 {
		return "", fmt.Errorf("journey SLI template of window %s has no %s", w, Placeholder)
	}
	b.WriteString(tmpl)
	return b.String(), nil
}

// placeholderAt returns the index of the first Placeholder in s that is a
// whole metric name, or -1.
func placeholderAt(s string) int {
	off := 0
	for {
		i := strings.Index(s[off:], Placeholder)
		if i < 0 {
			return -1
		}
		i += off
		j := i + len(Placeholder)
		if (i == 0 || !nameByte(s[i-1])) && (j == len(s) || !nameByte(s[j])) {
			return i
		}
		off = j
	}
}

func nameByte(b byte) bool {
	return b == '_' || b == ':' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
}

// canaryRatio returns the canary's leaf ratio over d, as prom computes the
// stable one but only from the canary's series and without a missing-data
// fallback (no canary traffic must not pass the gate):
//
//	label_replace(clamp_max(sum(GOOD) / (sum(TOTAL) > 0), 1), "journey", "J", "", "")
//
// The journey label makes it match the stable leaf rules it is combined
// with one-to-one.
func (s settings) canaryRatio(c Component, d time.Duration) (parser.Expr, error) {
	good, err := s.canaryQuery(c.GoodQuery, d)
	if err != nil {
		return nil, fmt.Errorf("good query: %w", err)
	}
	total, err := s.canaryQuery(c.TotalQuery, d)
	if err != nil {
		return nil, fmt.Errorf("total query: %w", err)
	}
	ratio := promql.Call("clamp_max", promql.Binary(parser.DIV, sumOf(good),
		promql.Binary(parser.GTR, sumOf(total), promql.Num(0))), promql.Num(1))
	return promql.Call("label_replace", ratio, promql.Str("journey"), promql.Str(s.Journey), promql.Str(""), promql.Str("")), nil
}

// canaryQuery parses query, sets every range in it to d and restricts
// every vector selector to the canary's pods with
// CanaryLabel="{{args.canary-hash}}" (a valid label value: the
// substitution happens in the AST).
func (s settings) canaryQuery(query string, d time.Duration) (parser.Expr, error) {
	if query == "" {
		return nil, errors.New("empty query")
	}
	e, err := promql.Parser().ParseExpr(query)
	if err != nil {
		return nil, err
	}
	ranges := 0
	var ferr error
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		switch x := node.(type) {
		case *parser.MatrixSelector:
			x.Range, x.RangeExpr = d, nil
			ranges++
		case *parser.SubqueryExpr:
			x.Range, x.RangeExpr = d, nil
			ranges++
		case *parser.VectorSelector:
			for _, m := range x.LabelMatchers {
				if m.Name == s.CanaryLabel {
					ferr = fmt.Errorf("selector %s already matches on the canary label %s", x, s.CanaryLabel)
				}
			}
			x.LabelMatchers = append(x.LabelMatchers,
				labels.MustNewMatcher(labels.MatchEqual, s.CanaryLabel, arg(ArgCanaryHash)))
		}
		return nil
	})
	if ferr != nil {
		return nil, ferr
	}
	if ranges == 0 {
		return nil, errors.New("query has no range selector or subquery whose range could be set to the window")
	}
	return e, nil
}

// burnQuery returns the canary burn rate over window w when the canary
// replaces component c, guarded by the component argument:
//
//	(((1 - (SLI)) / (1 - target)) and on () (GUARD))
func (s settings) burnQuery(c Component, w string, d time.Duration) (string, error) {
	sli, err := s.canarySLI(c, w, d)
	if err != nil {
		return "", err
	}
	return "(((1 - (" + sli + ")) / (1 - " + promql.Num(s.Target).String() + ")) and on () (" + guard(c.Name).String() + "))", nil
}

// guard has one sample when the component argument is name, none
// otherwise:
//
//	label_replace(vector(1), "emac_component", "{{args.component}}", "", "")
//	  == on (emac_component) label_replace(vector(1), "emac_component", "NAME", "", "")
func guard(name string) parser.Expr {
	tag := func(v string) parser.Expr {
		return promql.Call("label_replace", promql.Call("vector", promql.Num(1)), promql.Str(guardLabel), promql.Str(v), promql.Str(""), promql.Str(""))
	}
	g := promql.Binary(parser.EQLC, tag(arg(ArgComponent)), tag(name))
	g.VectorMatching.On = true
	g.VectorMatching.MatchingLabels = []string{guardLabel}
	return g
}

// burnQueryText joins the guarded queries of every component, one per
// line, with `or`, and parses the result: the one check of the text
// burnQuery spliced.
func (s settings) burnQueryText(w string, d time.Duration) (string, error) {
	parts := make([]string, len(s.Components))
	for i, c := range s.Components {
		var err error
		if parts[i], err = s.burnQuery(c, w, d); err != nil {
			return "", fmt.Errorf("component %q: %w", c.Name, err)
		}
	}
	q := strings.Join(parts, "\nor\n")
	if _, err := promql.Parser().ParseExpr(q); err != nil {
		return "", fmt.Errorf("generated PromQL does not parse: %w", err)
	}
	return q, nil
}

// latencyQuery selects the journey's latency upper bound over the short
// window.
func (s settings) latencyQuery() (string, error) {
	name := prom.LatencyRecord(s.Short)
	return promql.Reparse(&parser.VectorSelector{Name: name, LabelMatchers: []*labels.Matcher{
		labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, name),
		labels.MustNewMatcher(labels.MatchEqual, "journey", s.Journey),
		labels.MustNewMatcher(labels.MatchEqual, "quantile", formatFloat(s.Latency.Quantile)),
	}})
}

// sumOf sums e into one series unless it already is a plain sum.
func sumOf(e parser.Expr) parser.Expr {
	if a, ok := e.(*parser.AggregateExpr); ok && a.Op == parser.SUM && len(a.Grouping) == 0 && !a.Without {
		return e
	}
	return &parser.AggregateExpr{Op: parser.SUM, Expr: e}
}

// CanaryInputs lists the series selectors the canary burn-rate queries of
// in read from the components' own queries, restricted to the canary:
// what a parse of the gate query would find besides the journey SLI's
// records.
func CanaryInputs(in Input) ([]string, error) {
	s, err := newSettings(in)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, c := range s.Components {
		for _, q := range []string{c.GoodQuery, c.TotalQuery} {
			e, err := s.canaryQuery(q, s.short)
			if err != nil {
				return nil, fmt.Errorf("component %q: %w", c.Name, err)
			}
			parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok {
					seen[vs.String()] = true
				}
				return nil
			})
		}
	}
	return slices.Sorted(maps.Keys(seen)), nil
}
