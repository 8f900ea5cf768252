package prom

import (
	"fmt"
	"regexp/syntax"
	"slices"
	"unicode"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// Synthetic input series are label assignments found by search: every
// label a selector constrains gets candidate values — for each matcher one
// value that satisfies it and one that violates it (a string generated
// from the regular expression for =~ and !~, a value from filler
// otherwise), and "" (the label absent) — and the first assignment, over
// those candidates, that the wanted selectors match and the unwanted ones
// do not is taken. Every answer is checked with the parsed matchers
// themselves, so Prometheus selects exactly the series the tests assume.

// filler are the values tried for a label that must avoid some value or
// pattern, in order.
var filler = []string{"emac", "x", "0", "999", "emac_other", "_"}

// maxAssignments bounds the search for a series.
const maxAssignments = 1 << 16

// selectorIn returns the one vector selector of query.
func selectorIn(query string) (*parser.VectorSelector, error) {
	e, err := promql.Parser().ParseExpr(query)
	if err != nil {
		return nil, err
	}
	var sels []*parser.VectorSelector
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		if vs, ok := n.(*parser.VectorSelector); ok {
			sels = append(sels, vs)
		}
		return nil
	})
	if len(sels) != 1 {
		return nil, fmt.Errorf("want one series selector to synthesise, found %d", len(sels))
	}
	return sels[0], nil
}

// matches reports whether every matcher of ms accepts the series ls.
func matches(ms []*labels.Matcher, ls labels.Labels) bool {
	for _, m := range ms {
		if !m.Matches(ls.Get(m.Name)) {
			return false
		}
	}
	return true
}

// satisfying returns a value m accepts, or false.
func satisfying(m *labels.Matcher) (string, bool) {
	var tries []string
	switch m.Type {
	case labels.MatchEqual:
		tries = []string{m.Value}
	case labels.MatchRegexp:
		if s, ok := regexSample(m.Value); ok {
			tries = append(tries, s)
		}
	}
	tries = append(tries, filler...)
	tries = append(tries, "")
	for _, v := range tries {
		if m.Matches(v) {
			return v, true
		}
	}
	return "", false
}

// violating returns a value m rejects, or false.
func violating(m *labels.Matcher) (string, bool) {
	var tries []string
	switch m.Type {
	case labels.MatchNotEqual:
		tries = []string{m.Value}
	case labels.MatchNotRegexp:
		if s, ok := regexSample(m.Value); ok {
			tries = append(tries, s)
		}
	}
	tries = append(tries, filler...)
	tries = append(tries, "")
	for _, v := range tries {
		if !m.Matches(v) {
			return v, true
		}
	}
	return "", false
}

// maxSamples bounds the strings generated from one regular expression.
const maxSamples = 8

// regexSample returns a string the regular expression re (a Prometheus
// matcher's, anchored at both ends) matches, generated from its syntax
// tree; false when none was found.
func regexSample(re string) (string, bool) {
	ss := regexSamples(re)
	if len(ss) == 0 {
		return "", false
	}
	return ss[0], true
}

// regexSamples returns up to maxSamples strings re matches, the first the
// simplest: literals as themselves, any character as 'x', a class as a
// safe member (then other members), an alternation as its first branch
// (then the others), a repetition at its minimum count (at least one for
// +); assertions are ignored. Every string is checked against the
// anchored expression, as Prometheus matches it.
func regexSamples(re string) []string {
	t, err := syntax.Parse(re, syntax.Perl|syntax.DotNL)
	if err != nil {
		return nil
	}
	m, err := labels.NewMatcher(labels.MatchRegexp, "l", re)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range samples(t.Simplify()) {
		if m.Matches(s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// samples returns strings re matches (see regexSamples), at most
// maxSamples.
func samples(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpNoMatch:
		return nil
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText,
		syntax.OpEndText, syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}
	case syntax.OpLiteral:
		return []string{string(re.Rune)}
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return []string{"x"}
	case syntax.OpCharClass:
		var out []string
		for _, r := range classRunes(re.Rune) {
			out = append(out, string(r))
		}
		return out
	case syntax.OpCapture:
		return samples(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return []string{""}
	case syntax.OpPlus:
		return samples(re.Sub[0])
	case syntax.OpRepeat:
		out := []string{""}
		for range re.Min {
			out = concat(out, samples(re.Sub[0]))
		}
		return out
	case syntax.OpConcat:
		out := []string{""}
		for _, s := range re.Sub {
			out = concat(out, samples(s))
		}
		return out
	case syntax.OpAlternate:
		var out []string
		for _, s := range re.Sub {
			out = append(out, samples(s)...)
		}
		return out[:min(len(out), maxSamples)]
	}
	return nil
}

// concat returns every a·b, the first elements varying slowest, at most
// maxSamples.
func concat(as, bs []string) []string {
	var out []string
	for _, a := range as {
		for _, b := range bs {
			if len(out) == maxSamples {
				return out
			}
			out = append(out, a+b)
		}
	}
	return out
}

// classRunes picks members of a character class given as rune ranges:
// first 'x', '0', 'a', 'A' or '_' when it holds one, then the first
// printable member of each range; at most maxSamples.
func classRunes(ranges []rune) []rune {
	var out []rune
	in := func(r rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= r && r <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	for _, r := range []rune{'x', '0', 'a', 'A', '_'} {
		if in(r) {
			out = append(out, r)
			break
		}
	}
	for i := 0; i+1 < len(ranges) && len(out) < maxSamples; i += 2 {
		first := ranges[i]
		for r := ranges[i]; r <= ranges[i+1] && r < ranges[i]+256; r++ {
			if unicode.IsPrint(r) && r != ' ' {
				first = r
				break
			}
		}
		if !slices.Contains(out, first) {
			out = append(out, first)
		}
	}
	return out
}

// search returns the series over the labels the selectors sels constrain
// that want accepts, preferring values that satisfy sels' matchers, in
// their order, and, among those, the assignment closest to near (fewest
// labels differing); false when there is none.
func search(sels [][]*labels.Matcher, near labels.Labels, want func(labels.Labels) bool) (labels.Labels, bool) {
	var names []string
	cands := map[string][]string{}
	add := func(name, v string) {
		if !slices.Contains(cands[name], v) {
			cands[name] = append(cands[name], v)
		}
	}
	for _, pass := range []func(*labels.Matcher) (string, bool){satisfying, violating} {
		for _, ms := range sels {
			for _, m := range ms {
				if !slices.Contains(names, m.Name) {
					names = append(names, m.Name)
				}
				if v, ok := pass(m); ok {
					add(m.Name, v)
				}
			}
		}
	}
	// The other strings of regular expressions: values that tell their
	// alternatives apart.
	for _, ms := range sels {
		for _, m := range ms {
			if m.Type == labels.MatchRegexp || m.Type == labels.MatchNotRegexp {
				for _, v := range regexSamples(m.Value) {
					add(m.Name, v)
				}
			}
		}
	}
	for _, n := range names {
		add(n, "")
	}
	slices.Sort(names)
	total := 1
	for _, n := range names {
		total *= len(cands[n])
		if total > maxAssignments {
			return labels.EmptyLabels(), false
		}
	}
	var best labels.Labels
	bestDist, found := 0, false
	idx := make([]int, len(names))
	for range total {
		b := labels.NewScratchBuilder(len(names))
		dist := 0
		for i, n := range names {
			v := cands[n][idx[i]]
			if v != "" {
				b.Add(n, v)
			}
			if !near.IsEmpty() && near.Get(n) != v {
				dist++
			}
		}
		b.Sort()
		ls := b.Labels()
		if ls.Get(labels.MetricName) != "" && want(ls) && (!found || dist < bestDist) {
			best, bestDist, found = ls, dist, true
			if dist == 0 || near.IsEmpty() {
				break
			}
		}
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(cands[names[i]]) {
				break
			}
			idx[i] = 0
		}
	}
	return best, found
}

// notation prints a series in promtool's notation: name{labels}.
func notation(ls labels.Labels) string {
	name := ls.Get(labels.MetricName)
	rest := labels.NewBuilder(ls).Del(labels.MetricName).Labels()
	if rest.IsEmpty() {
		return name
	}
	return name + rest.String()
}

// counters are the synthetic counter series of a leaf.
type counters struct {
	// good is matched by the good selector.
	good string
	// other is matched by the total selector but not the good one.
	other string
	// split says good is matched by the total selector too: good grows
	// by ratio·rate and other by (1−ratio)·rate. Otherwise good is not
	// matched by the total selector, and other grows by rate.
	split bool
}

// values returns the input series of the counters at ratio, sampled by
// clk.
func (c counters) values(ratio float64, clk clock) []TestSeries {
	rest := scenarioRate
	if c.split {
		rest = scenarioRate - ratio*scenarioRate
	}
	return []TestSeries{
		{Series: c.good, Values: clk.counter(ratio * scenarioRate)},
		{Series: c.other, Values: clk.counter(rest)},
	}
}

// leafCounters synthesises the counters of leaf l from its queries' one
// selector each. When some series matches both selectors (good is total
// narrowed by more matchers, the common case) it returns a split pair: a
// series both select and one only total selects. Otherwise it returns a
// series only good selects and one only total selects (distinct metrics).
// No series may be selected by another leaf's queries (others).
func leafCounters(l Leaf, others []Leaf) (counters, error) {
	return newSelectorIndex(others).counters(l)
}

// selectorIndex holds the series selectors of the leaves' queries,
// parsed once, and finds the queries that may select a series without
// trying each: a selector is filed under one of its non-empty equality
// matchers, which a series it selects must carry.
type selectorIndex struct {
	done   map[string]counters // by leaf
	parsed map[string]*parser.VectorSelector
	errs   map[string]error
	byKey  map[string][]ownedSelector
	rest   []ownedSelector
}

// ownedSelector is a query's selector and the leaf it belongs to.
type ownedSelector struct {
	owner string
	ms    []*labels.Matcher
}

func newSelectorIndex(leaves []Leaf) *selectorIndex {
	x := &selectorIndex{done: map[string]counters{}, parsed: map[string]*parser.VectorSelector{}, errs: map[string]error{}, byKey: map[string][]ownedSelector{}}
	for _, l := range leaves {
		for _, q := range []string{l.GoodQuery, l.TotalQuery} {
			vs, err := x.selector(q)
			if err != nil {
				continue
			}
			o := ownedSelector{owner: l.Name, ms: vs.LabelMatchers}
			key := ""
			for _, m := range vs.LabelMatchers {
				if m.Type == labels.MatchEqual && m.Value != "" && (key == "" || m.Name != labels.MetricName) {
					key = m.Name + "\x00" + m.Value
				}
			}
			if key == "" {
				x.rest = append(x.rest, o)
			} else {
				x.byKey[key] = append(x.byKey[key], o)
			}
		}
	}
	return x
}

// selector returns the one vector selector of query, parsed once.
func (x *selectorIndex) selector(query string) (*parser.VectorSelector, error) {
	if vs, ok := x.parsed[query]; ok {
		return vs, x.errs[query]
	}
	vs, err := selectorIn(query)
	x.parsed[query], x.errs[query] = vs, err
	return vs, err
}

// foreign reports whether a query of a leaf other than owner selects ls.
func (x *selectorIndex) foreign(owner string, ls labels.Labels) bool {
	hit := func(os []ownedSelector) bool {
		for _, o := range os {
			if o.owner != owner && matches(o.ms, ls) {
				return true
			}
		}
		return false
	}
	if hit(x.rest) {
		return true
	}
	found := false
	ls.Range(func(l labels.Label) {
		found = found || hit(x.byKey[l.Name+"\x00"+l.Value])
	})
	return found
}

// counters synthesises leaf l's counters (see leafCounters), once; the
// index holds the other leaves' queries.
func (x *selectorIndex) counters(l Leaf) (counters, error) {
	if c, ok := x.done[l.Name]; ok {
		return c, nil
	}
	c, err := x.synthesise(l)
	if err == nil {
		x.done[l.Name] = c
	}
	return c, err
}

func (x *selectorIndex) synthesise(l Leaf) (counters, error) {
	gs, err := x.selector(l.GoodQuery)
	if err != nil {
		return counters{}, fmt.Errorf("component %q good query: %w", l.Name, err)
	}
	ts, err := x.selector(l.TotalQuery)
	if err != nil {
		return counters{}, fmt.Errorf("component %q total query: %w", l.Name, err)
	}
	g, t := gs.LabelMatchers, ts.LabelMatchers
	sels := [][]*labels.Matcher{g, t}
	own := func(ls labels.Labels) bool { return !x.foreign(l.Name, ls) }
	onlyTotal := func(ls labels.Labels) bool { return matches(t, ls) && !matches(g, ls) && own(ls) }
	both, shared := search(sels, labels.EmptyLabels(), func(ls labels.Labels) bool {
		return matches(g, ls) && matches(t, ls) && own(ls)
	})
	if shared {
		if bad, ok := search(sels, both, onlyTotal); ok {
			return counters{good: notation(both), other: notation(bad), split: true}, nil
		}
	}
	good, ok := search(sels, labels.EmptyLabels(), func(ls labels.Labels) bool {
		return matches(g, ls) && !matches(t, ls) && own(ls)
	})
	if !ok && shared {
		return counters{}, fmt.Errorf("component %q: cannot synthesise a bad series: no label values found that the total query %s selects, the good query %s does not, and no other component's query selects", l.Name, ts, gs)
	}
	if !ok {
		return counters{}, fmt.Errorf("component %q: cannot synthesise a good series: no label values found that the good query %s selects (with or without its total query %s) and no other component's query selects", l.Name, gs, ts)
	}
	total, ok := search(sels, good, onlyTotal)
	if !ok {
		return counters{}, fmt.Errorf("component %q: cannot synthesise a total series: no label values found that the total query %s selects, the good query %s does not, and no other component's query selects", l.Name, ts, gs)
	}
	return counters{good: notation(good), other: notation(total)}, nil
}

// histogramBase returns the labels of a leaf's synthetic bucket series
// (without le): a series its histogram selector selects.
func histogramBase(l Leaf) (labels.Labels, error) {
	vs, err := selectorIn(l.HistogramMetric + "_bucket" + l.HistogramSelector)
	if err != nil {
		return labels.EmptyLabels(), err
	}
	var ms []*labels.Matcher
	for _, m := range vs.LabelMatchers {
		if m.Name == "le" {
			return labels.EmptyLabels(), fmt.Errorf("histogram selector %s constrains le", l.HistogramSelector)
		}
		ms = append(ms, m)
	}
	ls, ok := search([][]*labels.Matcher{ms}, labels.EmptyLabels(), func(ls labels.Labels) bool { return matches(ms, ls) })
	if !ok {
		return labels.EmptyLabels(), fmt.Errorf("cannot synthesise a series the histogram selector %s selects", vs)
	}
	return ls, nil
}
