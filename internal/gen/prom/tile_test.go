package prom_test

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/emac-dev/emac/internal/gen/prom"
)

// TestLongWindowTiles checks with promtool that a long window's leaf
// ratio is the ratio of the event counts over exactly that window: the
// leaf serves 100 requests a minute, 50 good for the first hour and 90
// good for the next two. At 3h the 2h window must hold exactly the last
// two hours (ratio 0.9; one tile too many, from before 1h, gives
// 0.8840; a tile too few still 0.9, so the 6h window, which holds the
// whole run, checks the count as well: (3000 + 10800)/18000), summed
// from tiles, and so must the 1d window; the 1h window (raw series,
// main group) is 0.9 too.
func TestLongWindowTiles(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed")
	}
	c := tcase{name: "tiles", expr: "Series(a, b)", target: 0.99,
		comps: map[string]comp{"a": {ratio: 0.99}, "b": {ratio: 0.99}}}
	in, _ := c.input(t)
	for i := range in.Leaves {
		n := in.Leaves[i].Name
		fn := "increase"
		if n == "b" { // rates: the tiles count increases, the ratio is the same
			fn = "rate"
		}
		in.Leaves[i].GoodQuery = `sum(` + fn + `(ok_total{c="` + n + `"}[5m]))`
		in.Leaves[i].TotalQuery = `sum(` + fn + `(all_total{c="` + n + `"}[5m]))`
	}
	groups, _, err := prom.Rules(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 2 || groups[1].Name != prom.LongGroupName("tiles") || groups[1].Interval.String() != "5m" {
		t.Fatalf("want a long-window group evaluated every 5m, got %d groups", len(groups))
	}
	rules, err := prom.Marshal(version, groups...)
	if err != nil {
		t.Fatal(err)
	}
	near := func(w, leaf string, want float64) prom.ExprTest {
		return prom.ExprTest{EvalTime: "3h",
			Expr:       `abs(` + prom.LeafRecord(w) + `{component="` + leaf + `"} - ` + strconv.FormatFloat(want, 'g', -1, 64) + `) < bool 1e-12`,
			ExpSamples: []prom.TestSample{{Labels: `{component="` + leaf + `", journey="tiles"}`, Value: 1}}}
	}
	var exprs []prom.ExprTest
	for _, leaf := range []string{"a", "b"} {
		exprs = append(exprs, near("2h", leaf, 0.9), near("6h", leaf, 13800.0/18000), near("1d", leaf, 13800.0/18000), near("1h", leaf, 0.9))
	}
	var series []prom.TestSeries
	for _, leaf := range []string{"a", "b"} {
		series = append(series,
			prom.TestSeries{Series: `ok_total{c="` + leaf + `"}`, Values: "0+50x60 3090+90x119"},
			prom.TestSeries{Series: `all_total{c="` + leaf + `"}`, Values: "0+100x180"})
	}
	tests, err := prom.MarshalTests(version, prom.TestRules("rules.yaml", "tiles",
		prom.TestGroup{Name: "tiles", Interval: "1m", InputSeries: series, ExprTests: exprs}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "rules.yaml"), rules)
	write(t, filepath.Join(dir, "rules_test.yaml"), tests)
	run(t, promtool, dir, "test", "rules", "rules_test.yaml")
}
