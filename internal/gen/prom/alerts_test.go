package prom_test

import (
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/gen/prom"
)

func TestPolicy(t *testing.T) {
	tests := []struct {
		window string
		want   prom.BurnPolicy
	}{
		{"30d", prom.DefaultBurnPolicy()},
		{"720h", prom.DefaultBurnPolicy()},
		// 7d: factor × 7/30, the same fraction of the budget per long window.
		{"7d", prom.BurnPolicy{
			Page:   []prom.BurnWindow{{3.36, "1h", "5m"}, {1.4, "6h", "30m"}},
			Ticket: []prom.BurnWindow{{0.7, "1d", "2h"}, {0.233333333333, "3d", "6h"}},
		}},
	}
	for _, tt := range tests {
		got, err := prom.Policy(tt.window, nil)
		if err != nil || !slices.Equal(got.Page, tt.want.Page) || !slices.Equal(got.Ticket, tt.want.Ticket) {
			t.Errorf("Policy(%s) = %+v, %v; want %+v", tt.window, got, err, tt.want)
		}
	}
	override := &prom.BurnPolicy{Page: []prom.BurnWindow{{10, "120m", "10m"}}}
	got, err := prom.Policy("30d", override)
	if err != nil || !slices.Equal(got.Page, []prom.BurnWindow{{10, "2h", "10m"}}) || len(got.Ticket) != 0 {
		t.Errorf("override: %+v, %v", got, err)
	}
	for _, bad := range []prom.BurnPolicy{
		{Page: []prom.BurnWindow{{10, "5m", "1h"}}},
		{Page: []prom.BurnWindow{{0, "1h", "5m"}}},
		{Ticket: []prom.BurnWindow{{1, "1h", "soon"}}},
	} {
		if _, err := prom.Policy("30d", &bad); err == nil {
			t.Errorf("policy %+v must be rejected", bad)
		}
	}
}

// TestPolicyWindows checks that windows an override names get recording
// rules and that the alerts use them.
func TestPolicyWindows(t *testing.T) {
	in, _ := checkout.input(t)
	in.BurnPolicy = &prom.BurnPolicy{Page: []prom.BurnWindow{{20, "12h", "10m"}}}
	g, _, err := prom.Rules(in)
	if err != nil {
		t.Fatal(err)
	}
	recorded := map[string]bool{}
	alerts := map[string]int{}
	for _, r := range allRules(g) {
		recorded[r.Record] = true
		if r.Alert != "" {
			alerts[r.Alert+"/"+r.Labels["severity"]]++
		}
	}
	for _, w := range []string{"10m", "12h"} {
		if !recorded[prom.BurnRecord(w)] || !recorded[prom.LeafRecord(w)] {
			t.Errorf("window %s is not recorded", w)
		}
	}
	if alerts[prom.AlertBurn+"/page"] != 1 || alerts[prom.AlertBurn+"/ticket"] != 0 {
		t.Errorf("burn alerts: %v", alerts)
	}
}

func TestObjectName(t *testing.T) {
	for in, want := range map[string]string{
		"checkout": "emac-checkout", "fallback_shared": "emac-fallback-shared", "Cart.V2_": "emac-cart.v2",
	} {
		if got := prom.ObjectName(in); got != want {
			t.Errorf("ObjectName(%q) = %q, want %q", in, got, want)
		}
	}
}
