package prom

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
)

// LatencyWindows are the windows the latency bound is recorded over. A
// histogram quantile over a longer window is dominated by old traffic and
// answers a different question (the SLO-window quantile is the
// compiler's); the bound is an operational signal, so it is kept short.
var LatencyWindows = []string{"5m", "30m", "1h"}

// The latency alert fires when the bound over LatencyAlertWindow exceeds
// the objective's threshold for LatencyFor.
const (
	LatencyAlertWindow = "5m"
	LatencyFor         = 10 * time.Minute
)

// defaultAlpha is the error probability of a leaf's offline latency
// band when the journey states no confidence level.
const defaultAlpha = 0.05

// hasLatency reports whether the latency bound is generated: the journey
// has a latency objective and some leaf has histogram telemetry.
func (b *builder) hasLatency() bool {
	if b.in.Journey.Objective.Latency == nil {
		return false
	}
	return slices.ContainsFunc(b.leaves, func(l Leaf) bool { return l.HistogramMetric != "" })
}

// quantileLabel is the quantile label value of the latency records.
func (b *builder) quantileLabel() string {
	return strconv.FormatFloat(b.in.Journey.Objective.Latency.Quantile, 'g', -1, 64)
}

// latencyRules returns journey:emac_latency_upper_seconds:rate<w> for
// every window of LatencyWindows, or nothing when hasLatency is false.
//
// The bound B(N, ε) of a node N is a latency that N's answer exceeds with
// probability at most ε, whatever the dependence between calls (union
// bound); the journey's q-quantile bound is B(root, 1 − q):
//
//   - leaf with histogram telemetry: histogram_quantile(1 − ε, sum by (le)
//     (rate(<metric>_bucket<selector>[w])));
//   - leaf without: the offline bound inf{t : Lower(t) − DKW ≥ 1 − ε} of
//     its latency evidence (histogram buckets at their upper edge, a DKW
//     band of level 1 − confidenceLevel), a constant; a leaf with neither
//     makes its subtree unbounded;
//   - skip: 0;
//   - Series of k steps: Σ B(N_i, ε_i) with Σ ε_i = ε, the split chosen
//     by the compiler from the leaves' offline latency evidence to make
//     the offline bound smallest (split.go; equal when some step has no
//     evidence); skip steps get no share;
//   - Parallel of k: max B(N_i, ε_i), Σ ε_i = ε, split likewise (the
//     join waits for the slowest);
//   - Race: min_i (i·hedgeAfter + B(N_i, ε)): the race answers no later
//     than any one branch;
//   - Cond: max B(N_i, ε) over branches whose probability can be
//     positive (a mixture's tail is at most its worst component's);
//   - KofN(k of n): max B(N_i, ε·(n−k+1)/n): the k-th answer is late only
//     if n−k+1 branches are, and by Markov's inequality that happens with
//     probability at most Σε_i/(n−k+1);
//   - Timeout(τ; N): min(B(N, ε), τ) — a successful answer is on time;
//     Timeout(τ; N, M): τ + B(M, ε). The fallback starts at τ and how
//     often it runs is an availability, not a latency, so without the
//     live late fraction only the fallback path bounds the answer (more
//     conservative than min(B(N), τ + B(M)), which would be wrong when
//     the fallback runs more often than ε);
//   - Retry(n, τ, b; N): (n−1)·(τ+b) + min(τ, B(N, ε)): the last attempt
//     starts at (n−1)·(τ+b) and is cut at τ.
//
// Leaves are read over the same window w as the record's name says.
func (b *builder) latencyRules() ([]rulefmt.Rule, error) {
	if !b.hasLatency() {
		return nil, nil
	}
	j := b.in.Journey
	eps := 1 - j.Objective.Latency.Quantile
	if !(eps > 0 && eps < 1) {
		return nil, fmt.Errorf("latency quantile %g is not in (0, 1)", j.Objective.Latency.Quantile)
	}
	var out []rulefmt.Rule
	for _, w := range LatencyWindows {
		d, err := model.ParseDuration(w)
		if err != nil {
			return nil, err
		}
		b.paths = map[parser.Expr]string{}
		v, err := b.bound(j.Root, eps, time.Duration(d))
		if err != nil {
			return nil, err
		}
		if v.isConst() {
			if math.IsInf(v.c, 1) {
				return nil, fmt.Errorf("the latency bound is unbounded: give the components without latency evidence histogram telemetry or latency evidence")
			}
			return nil, fmt.Errorf("the latency bound does not depend on any histogram")
		}
		c := newCutter(j.Name, w, b.paths, b.in.SplitBytes)
		c.latency, c.drop = true, []string{"journey", NodeLabel}
		root := c.run(c.count(v.e), forPessimistic)
		inter, err := c.rules()
		if err != nil {
			return nil, err
		}
		e, err := reparse(root)
		if err != nil {
			return nil, err
		}
		out = append(out, inter...)
		out = append(out, rulefmt.Rule{Record: LatencyRecord(w), Expr: e,
			Labels: map[string]string{"journey": j.Name, "quantile": b.quantileLabel()}})
	}
	return out, nil
}

// latencyAlert is EmacJourneyLatencyBound: the bound over
// LatencyAlertWindow above the objective's threshold for LatencyFor.
func (b *builder) latencyAlert() ([]alertDef, error) {
	if !b.hasLatency() {
		return nil, nil
	}
	j := b.in.Journey
	lo := j.Objective.Latency
	e, err := promql.Reparse(promql.Binary(parser.GTR,
		selector(LatencyRecord(LatencyAlertWindow), "journey", j.Name, "quantile", b.quantileLabel()),
		promql.Num(lo.ThresholdSeconds)))
	if err != nil {
		return nil, err
	}
	rule := rulefmt.Rule{Alert: AlertLatency, Expr: e, For: model.Duration(LatencyFor),
		Labels: map[string]string{"journey": j.Name, "quantile": b.quantileLabel(), "severity": "ticket"},
		Annotations: b.annotations(
			fmt.Sprintf("Journey %s may miss its p%s latency objective", j.Name, strconv.FormatFloat(lo.Quantile*100, 'g', -1, 64)),
			fmt.Sprintf("The dependence-free upper bound of journey %s's %s-quantile latency, composed from the leaves' histogram quantiles over %s by the union bound, has exceeded the objective's %ss for %s. The bound is conservative: the quantile itself may still be within the objective.",
				j.Name, b.quantileLabel(), LatencyAlertWindow, num2s(lo.ThresholdSeconds), model.Duration(LatencyFor))),
	}
	fires := func(s state) (bool, error) { return above(s.latency, lo.ThresholdSeconds) }
	return []alertDef{{rule: rule, fires: fires}}, nil
}

var inf = constant(math.Inf(1))

func unbounded(v val) bool { return v.isConst() && math.IsInf(v.c, 1) }

// bound returns B(n, eps) over window w (see latencyRules), and notes
// the path of its expression.
func (b *builder) bound(n journey.Node, eps float64, w time.Duration) (val, error) {
	v, err := b.boundOf(n, eps, w)
	if _, seen := b.paths[v.e]; err == nil && v.e != nil && !seen && b.offlineDepth == 0 {
		b.paths[v.e] = b.nodePath[n]
	}
	return v, err
}

func (b *builder) boundOf(n journey.Node, eps float64, w time.Duration) (val, error) {
	switch n := n.(type) {
	case *journey.Leaf:
		return b.leafBound(n.Name, eps, w)
	case *journey.Skip:
		return constant(0), nil
	case *journey.Series:
		var steps []journey.Node
		for _, st := range n.Steps {
			if _, skip := st.(*journey.Skip); !skip {
				steps = append(steps, st)
			}
		}
		if len(steps) == 0 {
			return constant(0), nil
		}
		var terms []val
		for i, e := range b.split(n, steps, eps, "sum") {
			v, err := b.bound(steps[i], e, w)
			if err != nil || unbounded(v) {
				return v, err
			}
			terms = append(terms, v)
		}
		return sum(terms), nil
	case *journey.Parallel:
		vs := make([]val, 0, len(n.Branches))
		for i, e := range b.split(n, n.Branches, eps, "max") {
			v, err := b.bound(n.Branches[i], e, w)
			if err != nil || unbounded(v) {
				return v, err
			}
			vs = append(vs, v)
		}
		return extremum(parser.MAX, vs), nil
	case *journey.KofN:
		k := len(n.Branches)
		return b.maxBound(n.Branches, eps*float64(k-n.K+1)/float64(k), w)
	case *journey.Cond:
		var live []journey.Node
		for i, br := range n.Branches {
			if i < len(n.Probs) && (b.live(n.Probs[i]) || n.Probs[i].Hi > 0) {
				live = append(live, br)
			}
		}
		return b.maxBound(live, eps, w)
	case *journey.Race:
		var vs []val
		for i, br := range n.Branches {
			v, err := b.bound(br, eps, w)
			if err != nil {
				return val{}, err
			}
			if !unbounded(v) {
				vs = append(vs, add(constant(float64(i)*n.HedgeAfter), v))
			}
		}
		if len(vs) == 0 {
			return inf, nil
		}
		return extremum(parser.MIN, vs), nil
	case *journey.Timeout:
		if n.Fallback != nil {
			v, err := b.bound(n.Fallback, eps, w)
			if err != nil || unbounded(v) {
				return v, err
			}
			return add(constant(n.Timeout), v), nil
		}
		return b.capped(n.Primary, n.Timeout, eps, w)
	case *journey.Retry:
		v, err := b.capped(n.Target, n.PerTryTimeout, eps, w)
		if err != nil {
			return val{}, err
		}
		return add(constant(float64(n.Attempts-1)*(n.PerTryTimeout+n.Backoff)), v), nil
	}
	return val{}, fmt.Errorf("latency bound: unsupported operator %T", n)
}

// capped returns min(B(n, eps), tau); an unbounded n gives tau.
func (b *builder) capped(n journey.Node, tau, eps float64, w time.Duration) (val, error) {
	v, err := b.bound(n, eps, w)
	if err != nil {
		return val{}, err
	}
	if unbounded(v) {
		return constant(tau), nil
	}
	return extremum(parser.MIN, []val{v, constant(tau)}), nil
}

// maxBound returns max B(n_i, eps); unbounded if any is.
func (b *builder) maxBound(ns []journey.Node, eps float64, w time.Duration) (val, error) {
	vs := make([]val, 0, len(ns))
	for _, n := range ns {
		v, err := b.bound(n, eps, w)
		if err != nil || unbounded(v) {
			return v, err
		}
		vs = append(vs, v)
	}
	if len(vs) == 0 {
		return constant(0), nil
	}
	return extremum(parser.MAX, vs), nil
}

// leafBound returns a leaf's (1 − eps)-quantile: from its histogram
// when it has one, else from its offline latency evidence.
func (b *builder) leafBound(name string, eps float64, w time.Duration) (val, error) {
	phi := 1 - eps
	for _, l := range b.leaves {
		if l.Name != name || l.HistogramMetric == "" {
			continue
		}
		if b.fixedQ != nil {
			return constant(b.fixedQ(name, phi)), nil
		}
		e, err := histogramQuantile(l, phi, w)
		if err != nil {
			return val{}, fmt.Errorf("component %q: %w", name, err)
		}
		return vec(e), nil
	}
	c := b.in.Journey.Components[name]
	if c == nil || c.Latency == nil {
		return inf, nil
	}
	return constant(lawBound(c.Latency, phi, b.alpha())), nil
}

// alpha is the error probability of the leaves' offline latency bands.
func (b *builder) alpha() float64 {
	if cl := b.in.Journey.Governance.ConfidenceLevel; cl > 0 && cl < 1 {
		return 1 - cl
	}
	return defaultAlpha
}

// histogramQuantile returns histogram_quantile(phi, sum by (le)
// (rate(<metric>_bucket<selector>[w]))).
func histogramQuantile(l Leaf, phi float64, w time.Duration) (parser.Expr, error) {
	e, err := promql.Parser().ParseExpr(l.HistogramMetric + "_bucket" + l.HistogramSelector)
	if err != nil {
		return nil, fmt.Errorf("histogram %s%s: %w", l.HistogramMetric, l.HistogramSelector, err)
	}
	vs, ok := e.(*parser.VectorSelector)
	if !ok || vs.OriginalOffset != 0 || vs.Timestamp != nil {
		return nil, fmt.Errorf("histogram %s%s is not a plain series selector", l.HistogramMetric, l.HistogramSelector)
	}
	rate := promql.Call("rate", &parser.MatrixSelector{VectorSelector: vs, Range: w})
	agg := &parser.AggregateExpr{Op: parser.SUM, Expr: rate, Grouping: []string{"le"}}
	return promql.Call("histogram_quantile", promql.Num(phi), agg), nil
}

// lawBound returns the smallest t (to a relative 1e-9, rounded up) with
// Lower(t) − DKW(N, alpha) ≥ phi, or +Inf when the band never gets there.
func lawBound(l law.Law, phi, alpha float64) float64 {
	t := law.LowerQuantile(l, phi, law.DKW(l.N(), alpha))
	if math.IsInf(t, 1) {
		return t
	}
	return round12up(t)
}

// round12up rounds x > 0 to 12 significant digits, never down.
func round12up(x float64) float64 { return round12(x * (1 + 1e-10)) }
