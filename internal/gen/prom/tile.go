package prom

import (
	"fmt"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// Long windows are summed from recorded short-window increases.
//
// Reading 30 days of raw leaf series at every evaluation is what made
// Prometheus spend more on emac's rules than on Sloth's. Instead, the
// long-window group (LongGroupName, evaluated every TileWindow) records
// each leaf's good and total event counts over the last TileWindow — a
// tile —
//
//	component:emac_good_events:increase5m{journey="J", component="C"}  = sum(GOOD with every range 5m, rate → increase)
//	component:emac_total_events:increase5m{journey="J", component="C"} = sum(TOTAL likewise)
//
// and computes a long window W's leaf ratio from the sums of its tiles:
//
//	clamp_max(sum_over_time(good[W − 2m30s]) / (sum_over_time(total[W − 2m30s]) > 0), 1)
//
// Exactness. The group's evaluations are exactly TileWindow apart (a rule
// group's evaluation times are aligned to its interval; a sample carries
// its evaluation's timestamp, in whole milliseconds of which TileWindow is
// a multiple), so the tiles recorded at t, t − 5m, t − 10m, … cover the
// intervals (t − 5m, t], (t − 10m, t − 5m], … without gap or overlap. A
// range of W − TileWindow/2 ending at t holds exactly the W/TileWindow
// tiles at t, …, t − W + 5m — whether the range is closed at its start
// (Prometheus 2) or open (Prometheus 3), and with half a tile of slack
// for the timestamps — whose intervals partition (t − W, t]. The long
// window's good and total are therefore the event counts over exactly W,
// each tile's being Prometheus's increase() over its 5 minutes, and the
// ratio is a ratio of counts — not an average of short-window ratios,
// which would weigh a quiet hour like a busy one. What remains
// approximate is what increase() itself approximates at a range's ends
// (extrapolation to the boundaries), now at every tile boundary. A tile
// the group did not evaluate (a missed iteration, Prometheus down) is
// missing from the sum; after the rules are first loaded a window holds
// only the tiles recorded since (backfill with promtool tsdb
// create-blocks-from rules).
//
// The same group computes the long windows' journey SLIs and burn rates
// from those leaf ratios, on the same grid. A window is long when it is a
// multiple of TileWindow of at least minTiles tiles (2h and more): its
// value then lags the raw series by less than a tile, a 24th of the
// window at most. Shorter windows are computed from the raw series by the
// main group at Prometheus's global interval, so the page alerts' short
// windows stay fresh. A leaf whose queries are not sums of rate(),
// increase(), count_over_time() or sum_over_time() (additive), and every
// live parameter, are computed over the long window directly.
//
// Rules of the main group read a long-window record through
// last_over_time(record[2·TileWindow]): a plain selector would find no
// sample for an instant in each tile, between the end of the lookback
// (5 minutes) and the moment the long group has written its next one.

// TileWindow is the length of a tile, the long-window group's interval.
const TileWindow = 5 * time.Minute

// minTiles is the fewest tiles a window is summed from.
const minTiles = 24

// MinTiledWindow is the shortest window summed from tiles.
func MinTiledWindow() string { return model.Duration(minTiles * TileWindow).String() }

// GoodTileRecord is the name of a leaf's good-event tiles.
func GoodTileRecord() string {
	return "component:emac_good_events:increase" + model.Duration(TileWindow).String()
}

// TotalTileRecord is the name of a leaf's total-event tiles.
func TotalTileRecord() string {
	return "component:emac_total_events:increase" + model.Duration(TileWindow).String()
}

// tiled reports whether window w is summed from tiles (and evaluated by
// the long-window group).
func (b *builder) tiled(w string) bool {
	d, err := model.ParseDuration(w)
	return err == nil && isTiled(time.Duration(d))
}

func isTiled(d time.Duration) bool { return d%TileWindow == 0 && d >= minTiles*TileWindow }

// tileable is tileable(l), computed once per leaf.
func (b *builder) tileable(l Leaf) bool {
	if t, ok := b.tileableLeaf[l.Name]; ok {
		return t
	}
	if b.tileableLeaf == nil {
		b.tileableLeaf = map[string]bool{}
	}
	b.tileableLeaf[l.Name] = tileable(l)
	return b.tileableLeaf[l.Name]
}

// tileable reports whether l's queries are additive, so that its long
// windows can be summed from tiles.
func tileable(l Leaf) bool {
	for _, q := range []string{l.GoodQuery, l.TotalQuery} {
		e, err := promql.Parser().ParseExpr(q)
		if err != nil || !additive(e) {
			return false
		}
	}
	return true
}

// additive reports whether e's value over a window is the sum of its
// values over the tiles that partition it: sums and differences of
// increase, rate (tiles record it as increase), count_over_time and
// sum_over_time of plain range selectors, scaled by numbers.
func additive(e parser.Expr) bool {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return additive(n.Expr)
	case *parser.UnaryExpr:
		return additive(n.Expr)
	case *parser.AggregateExpr:
		return n.Op == parser.SUM && additive(n.Expr)
	case *parser.BinaryExpr:
		switch n.Op {
		case parser.ADD, parser.SUB:
			return additive(n.LHS) && additive(n.RHS)
		case parser.MUL:
			return isNum(n.LHS) && additive(n.RHS) || additive(n.LHS) && isNum(n.RHS)
		case parser.DIV:
			return additive(n.LHS) && isNum(n.RHS)
		}
	case *parser.Call:
		switch n.Func.Name {
		case "rate", "increase", "count_over_time", "sum_over_time":
			m, ok := n.Args[0].(*parser.MatrixSelector)
			return ok && m.VectorSelector.(*parser.VectorSelector).Timestamp == nil
		}
	}
	return false
}

func isNum(e parser.Expr) bool {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			break
		}
		e = p.Expr
	}
	_, ok := e.(*parser.NumberLiteral)
	return ok
}

// tileQuery is query summed into one series over TileWindow, its rates
// counted as increases.
func tileQuery(query string) (string, error) {
	e, err := windowed(query, TileWindow)
	if err != nil {
		return "", err
	}
	parser.Inspect(e, func(node parser.Node, _ []parser.Node) error {
		if c, ok := node.(*parser.Call); ok && c.Func.Name == "rate" {
			c.Func = parser.Functions["increase"]
		}
		return nil
	})
	if a, ok := e.(*parser.AggregateExpr); !ok || a.Op != parser.SUM || len(a.Grouping) != 0 || a.Without {
		e = &parser.AggregateExpr{Op: parser.SUM, Expr: e}
	}
	return promql.Reparse(e)
}

// tileRules returns the tiles of every tileable leaf.
func (b *builder) tileRules() ([]rulefmt.Rule, error) {
	var out []rulefmt.Rule
	for _, l := range b.leaves {
		if !b.tileable(l) {
			continue
		}
		for _, t := range []struct{ record, query string }{{GoodTileRecord(), l.GoodQuery}, {TotalTileRecord(), l.TotalQuery}} {
			e, err := tileQuery(t.query)
			if err != nil {
				return nil, fmt.Errorf("component %q: %w", l.Name, err)
			}
			out = append(out, rulefmt.Rule{Record: t.record, Expr: e,
				Labels: map[string]string{"journey": b.in.Journey.Name, "component": l.Name}})
		}
	}
	return out, nil
}

// leafRatio returns the expression of leaf l's ratio over window w: from
// its tiles when w is long and l tileable, else from its queries.
func (b *builder) leafRatio(l Leaf, w string, d time.Duration) (string, error) {
	if !b.tiled(w) || !b.tileable(l) {
		return leafRatio(l, d)
	}
	sumOver := func(record string) parser.Expr {
		return promql.Call("sum_over_time", &parser.MatrixSelector{
			VectorSelector: selector(record, "journey", b.in.Journey.Name, "component", l.Name), Range: d - TileWindow/2})
	}
	ratio, err := withPolicy(promql.Call("clamp_max", promql.Binary(parser.DIV, sumOver(GoodTileRecord()),
		promql.Binary(parser.GTR, sumOver(TotalTileRecord()), promql.Num(0))), promql.Num(1)), l.MissingData)
	if err != nil {
		return "", err
	}
	return promql.Reparse(ratio)
}

// read returns a selector of record over window w with the given labels,
// for a rule of the main group: through last_over_time when the
// long-window group records it.
func (b *builder) read(record, w string, kv ...string) parser.Expr {
	sel := selector(record, kv...)
	if !b.tiled(w) {
		return sel
	}
	return promql.Call("last_over_time", &parser.MatrixSelector{VectorSelector: sel, Range: 2 * TileWindow})
}
