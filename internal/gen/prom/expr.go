package prom

import (
	"math"
	"strconv"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// val is the value of a node in PromQL: a constant (e == nil) or a vector
// expression whose only label is journey. Constants are folded while the
// expression is built, so a tree with offline-only parts stays small.
type val struct {
	c float64
	e parser.Expr
}

func constant(c float64) val    { return val{c: c} }
func vec(e parser.Expr) val     { return val{e: e} }
func (v val) isConst() bool     { return v.e == nil }
func (v val) is(c float64) bool { return v.e == nil && v.c == c }
func (v val) expr() parser.Expr {
	if v.e == nil {
		return promql.Num(v.c)
	}
	return v.e
}

// arith applies op to two values, folding constants.
func arith(op parser.ItemType, a, b val, fold func(x, y float64) float64) val {
	if a.isConst() && b.isConst() {
		return constant(fold(a.c, b.c))
	}
	return vec(promql.Binary(op, a.expr(), b.expr()))
}

func mul(a, b val) val {
	switch {
	case a.is(1):
		return b
	case b.is(1):
		return a
	case a.is(0) || b.is(0):
		return constant(0)
	}
	return arith(parser.MUL, a, b, func(x, y float64) float64 { return x * y })
}

func add(a, b val) val {
	switch {
	case a.is(0):
		return b
	case b.is(0):
		return a
	}
	return arith(parser.ADD, a, b, func(x, y float64) float64 { return x + y })
}

// complement returns 1 − a.
func complement(a val) val {
	return arith(parser.SUB, constant(1), a, func(x, y float64) float64 { return x - y })
}

func pow(a val, n int) val {
	if n == 1 {
		return a
	}
	return arith(parser.POW, a, constant(float64(n)), math.Pow)
}

// flatMax is the most operands an n-ary product, sum or extremum chains
// or joins at one level; beyond it the operands are combined as a balanced
// tree of such chains, so that every sub-expression of a long journey stays
// a small, separately recordable unit (cut.go) and a change of one operand
// touches few of them.
const flatMax = 8

func product(vs []val) val { return fold(vs, constant(1), mul) }

func sum(vs []val) val { return fold(vs, constant(0), add) }

// fold combines vs with op from unit: left to right up to flatMax
// operands, else as op(fold(first half), fold(second half)).
func fold(vs []val, unit val, op func(a, b val) val) val {
	if len(vs) > flatMax {
		h := len(vs) / 2
		return op(fold(vs[:h], unit, op), fold(vs[h:], unit, op))
	}
	out := unit
	for _, v := range vs {
		out = op(out, v)
	}
	return out
}

// extremumLabel is the label that keeps the operands of a max or min apart
// while they are aggregated.
const extremumLabel = "emac_operand"

// extremum returns the largest (op = parser.MAX) or smallest (parser.MIN)
// of vs. Vector operands are tagged with distinct values of extremumLabel by
// label_replace, joined with `or` and aggregated away:
//
//	max without (emac_operand) (label_replace(a, "emac_operand", "0", "", "") or label_replace(b, …, "1", …))
//
// so equal values are harmless, an absent operand is skipped and a NaN
// operand is ignored unless every operand is NaN (the aggregation's rule).
// Constant operands are folded into one number applied with clamp_min
// (max) or clamp_max (min).
func extremum(op parser.ItemType, vs []val) val {
	pick := math.Max
	clamp := "clamp_min"
	if op == parser.MIN {
		pick, clamp = math.Min, "clamp_max"
	}
	var vecs []parser.Expr
	c, haveC := 0.0, false
	for _, v := range vs {
		if v.isConst() {
			if !haveC {
				c, haveC = v.c, true
			} else {
				c = pick(c, v.c)
			}
			continue
		}
		vecs = append(vecs, v.e)
	}
	if len(vecs) == 0 {
		return constant(c)
	}
	for len(vecs) > flatMax {
		// A balanced tree of aggregations: max(max(a…h), max(i…p), …).
		var level []parser.Expr
		for i := 0; i < len(vecs); i += flatMax {
			level = append(level, extremum(op, vals(vecs[i:min(i+flatMax, len(vecs))])).e)
		}
		vecs = level
	}
	out := vecs[0]
	if len(vecs) > 1 {
		var joined parser.Expr
		for i, e := range vecs {
			tagged := promql.Call("label_replace", e, promql.Str(extremumLabel), promql.Str(strconv.Itoa(i)), promql.Str(""), promql.Str(""))
			if joined == nil {
				joined = tagged
			} else {
				joined = promql.Binary(parser.LOR, joined, tagged)
			}
		}
		out = &parser.AggregateExpr{Op: op, Expr: joined, Grouping: []string{extremumLabel}, Without: true}
	}
	if haveC {
		out = promql.Call(clamp, out, promql.Num(c))
	}
	return vec(out)
}

func vals(es []parser.Expr) []val {
	out := make([]val, len(es))
	for i, e := range es {
		out[i] = vec(e)
	}
	return out
}

// selector builds name{matchers…} with equality matchers.
func selector(name string, kv ...string) *parser.VectorSelector {
	ms := []*labels.Matcher{labels.MustNewMatcher(labels.MatchEqual, labels.MetricName, name)}
	for i := 0; i+1 < len(kv); i += 2 {
		ms = append(ms, labels.MustNewMatcher(labels.MatchEqual, kv[i], kv[i+1]))
	}
	return &parser.VectorSelector{Name: name, LabelMatchers: ms}
}

// without aggregates e with op, dropping label l.
func without(op parser.ItemType, l string, e parser.Expr) parser.Expr {
	return &parser.AggregateExpr{Op: op, Expr: e, Grouping: []string{l}, Without: true}
}
