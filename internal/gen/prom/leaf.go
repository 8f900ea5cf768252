package prom

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
	emodel "github.com/emac-dev/emac/internal/model"
)

// leafRatio returns the expression of a leaf's ratio over window w:
//
//	clamp_max(sum(GOOD) / (sum(TOTAL) > 0), 1) [or on () vector(1|0)]
//
// with every range of GOOD and TOTAL set to w. Both queries are summed so
// the ratio is one series however they are grouped; a window without
// traffic gives no series (not NaN), so the missing-data policy applies to
// it as to a missing series; scrape skew cannot push the ratio above 1.
func leafRatio(l Leaf, w time.Duration) (string, error) {
	good, err := windowed(l.GoodQuery, w)
	if err != nil {
		return "", fmt.Errorf("good query: %w", err)
	}
	total, err := windowed(l.TotalQuery, w)
	if err != nil {
		return "", fmt.Errorf("total query: %w", err)
	}
	sumOf := func(e parser.Expr) parser.Expr {
		if a, ok := e.(*parser.AggregateExpr); ok && a.Op == parser.SUM && len(a.Grouping) == 0 && !a.Without {
			return e // already one series
		}
		return &parser.AggregateExpr{Op: parser.SUM, Expr: e}
	}
	ratio, err := withPolicy(promql.Call("clamp_max",
		promql.Binary(parser.DIV, sumOf(good), promql.Binary(parser.GTR, sumOf(total), promql.Num(0))), promql.Num(1)), l.MissingData)
	if err != nil {
		return "", err
	}
	return promql.Reparse(ratio)
}

// withPolicy applies a missing-data policy to a leaf ratio: an absent
// ratio counts as 1 ("good"), 0 ("bad") or stays absent ("ignore", "").
func withPolicy(ratio parser.Expr, policy string) (parser.Expr, error) {
	switch policy {
	case "good":
		return orConstant(ratio, 1), nil
	case "bad":
		return orConstant(ratio, 0), nil
	case "", "ignore":
		return ratio, nil
	}
	return nil, fmt.Errorf("missing-data policy %q (want good, bad or ignore)", policy)
}

// orConstant returns `e or on () vector(c)`: c when e has no series.
func orConstant(e parser.Expr, c float64) parser.Expr {
	b := promql.Binary(parser.LOR, e, promql.Call("vector", promql.Num(c)))
	b.VectorMatching.On = true
	return b
}

// windowed parses query with its ranges set to w.
func windowed(query string, w time.Duration) (parser.Expr, error) {
	if query == "" {
		return nil, errors.New("empty query")
	}
	return withRanges(query, w)
}

// paramRatio returns the expression of a live parameter over window w:
// its query (ranges set to w, if it has any) averaged into one series and
// clamped to [0, 1], or the offline value when the query has no result.
func paramRatio(p emodel.Param, w time.Duration) (string, error) {
	e, err := windowed(p.Query, w)
	if errors.Is(err, errNoRange) {
		e, err = promql.Parser().ParseExpr(p.Query)
	}
	if err != nil {
		return "", err
	}
	avg := &parser.AggregateExpr{Op: parser.AVG, Expr: e}
	return promql.Reparse(orConstant(promql.Call("clamp", avg, promql.Num(0), promql.Num(1)), p.Value))
}

// burn returns (1 − pessimistic SLI) / (1 − target).
func burn(journey, w string, target float64) (string, error) {
	pess := selector(PessimisticRecord(w), "journey", journey)
	return promql.Reparse(promql.Binary(parser.DIV,
		promql.Binary(parser.SUB, promql.Num(1), pess),
		promql.Binary(parser.SUB, promql.Num(1), promql.Num(target))))
}
