package prom_test

import (
	"strings"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/gen/prom"
)

func TestRewindow(t *testing.T) {
	tests := []struct{ in, want string }{
		{`sum(increase(http_requests_total{service="cart"}[30d]))`,
			`sum(increase(http_requests_total{service="cart"}[1h]))`},
		{`sum(rate(x{path="/a[5m]"}[5m])) + sum(rate(y[2m] offset 1m))`,
			`sum(rate(x{path="/a[5m]"}[1h])) + sum(rate(y[1h] offset 1m))`},
		{`sum_over_time(sum(rate(x[1m]))[30m:1m])`,
			`sum_over_time(sum(rate(x[1h]))[1h:1m])`},
	}
	for _, tt := range tests {
		got, err := prom.Rewindow(tt.in, time.Hour)
		if err != nil || got != tt.want {
			t.Errorf("Rewindow(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := prom.Rewindow(`sum(x)`, time.Hour); err == nil {
		t.Error("a query without a range must be rejected")
	}
}

func TestWindows(t *testing.T) {
	got, err := prom.Windows("720h")
	if err != nil || strings.Join(got, ",") != "5m,30m,1h,2h,6h,1d,3d,30d" {
		t.Errorf("Windows(720h) = %v, %v", got, err)
	}
	got, _ = prom.Windows("1d")
	if len(got) != 7 {
		t.Errorf("Windows(1d) = %v: the SLO window must not repeat", got)
	}
}

func TestMissingData(t *testing.T) {
	in, _ := checkout.input(t)
	for _, tt := range []struct{ policy, want string }{
		{"good", " or on () vector(1)"}, {"bad", " or on () vector(0)"}, {"ignore", ""},
	} {
		in.Leaves[0].MissingData = tt.policy
		in.Windows = []string{"5m"}
		g, _, err := prom.Rules(in)
		if err != nil {
			t.Fatal(err)
		}
		var expr string
		for _, r := range allRules(g) {
			if r.Labels["component"] == in.Leaves[0].Name {
				expr = r.Expr
			}
		}
		if tt.want != "" && !strings.HasSuffix(expr, tt.want) || tt.want == "" && strings.Contains(expr, " or ") {
			t.Errorf("policy %s: %s", tt.policy, expr)
		}
	}
	in.Leaves[0].MissingData = "maybe"
	if _, _, err := prom.Rules(in); err == nil {
		t.Error("an unknown policy must be rejected")
	}
}
