package prom

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// DefaultWindows are the windows every SLI is recorded over besides the
// SLO window: the short and long windows of the multi-window multi-burn-rate
// alerts.
var DefaultWindows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// Windows returns DefaultWindows plus sloWindow, normalised as Prometheus
// prints durations ("720h" becomes "30d"), without duplicates, shortest
// first.
func Windows(sloWindow string) ([]string, error) {
	ws := slices.Clone(DefaultWindows)
	if sloWindow != "" {
		ws = append(ws, sloWindow)
	}
	return normalizeWindows(ws)
}

func normalizeWindows(ws []string) ([]string, error) {
	ds := make([]time.Duration, 0, len(ws))
	for _, w := range ws {
		d, err := model.ParseDuration(w)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("window %q is not a positive Prometheus duration", w)
		}
		ds = append(ds, time.Duration(d))
	}
	slices.Sort(ds)
	ds = slices.Compact(ds)
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = model.Duration(d).String()
	}
	return out, nil
}

// errNoRange reports a query without any range selector or subquery.
var errNoRange = errors.New("query has no range selector or subquery whose range could be set to the window")

// Rewindow parses query, sets the range of every range selector and
// subquery in it to w (by walking the AST, so selectors inside strings or
// label values are never touched) and prints the result. A query without
// any range is an error: its value would not depend on the window.
func Rewindow(query string, w time.Duration) (string, error) {
	e, err := withRanges(query, w)
	if err != nil {
		return "", err
	}
	return e.String(), nil
}

// withRanges parses query and sets every range in it to w (see Rewindow).
func withRanges(query string, w time.Duration) (parser.Expr, error) {
	e, err := promql.Parser().ParseExpr(query)
	if err != nil {
		return nil, err
	}
	n := 0
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		switch x := node.(type) {
		case *parser.MatrixSelector:
			x.Range, x.RangeExpr = w, nil
			n++
		case *parser.SubqueryExpr:
			x.Range, x.RangeExpr = w, nil
			n++
		}
		return nil
	})
	if n == 0 {
		return nil, errNoRange
	}
	return e, nil
}
