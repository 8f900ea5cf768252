package argo_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/promqltest"

	"github.com/emac-dev/emac/internal/gen/argo"
)

// TestEvaluate runs the 5m canary burn rate in the Prometheus engine on
// synthetic series: the stable leaf rules at 0.99 and a canary of front
// whose counters give a ratio of 0.9. With the argument component=front
// it must equal the stable burn rate with front's leaf rule at 0.9; with
// another component's name it must return nothing.
func TestEvaluate(t *testing.T) {
	in := loadInput(t, "checkout")
	g, err := argo.Gate(in)
	if err != nil {
		t.Fatal(err)
	}
	query := g.Spec.Metrics[0].Provider.Prometheus.Query
	resolve := func(component string) string {
		return "(" + strings.NewReplacer("{{args.component}}", component, "{{args.canary-hash}}", "abc", "\n", " ").Replace(query) + ")"
	}
	var load strings.Builder
	load.WriteString("load 1m\n")
	for _, c := range in.Components {
		fmt.Fprintf(&load, "  component:emac_availability:ratio_rate5m{journey=\"checkout\",component=%q} 0.99x20\n", c.Name)
	}
	// the canary's counters, and the stable pods' (which must be ignored)
	load.WriteString("  emac_test_good_total{component=\"front\",rollouts_pod_template_hash=\"abc\"} 0+9x20\n")
	load.WriteString("  emac_test_requests_total{component=\"front\",rollouts_pod_template_hash=\"abc\"} 0+10x20\n")
	load.WriteString("  emac_test_good_total{component=\"front\",rollouts_pod_template_hash=\"old\"} 0+10x20\n")
	load.WriteString("  emac_test_requests_total{component=\"front\",rollouts_pod_template_hash=\"old\"} 0+10x20\n")
	// the reference: front's leaf rule at 0.9
	load.WriteString("  reference:ratio_rate5m{journey=\"checkout\",component=\"front\"} 0.9x20\n")
	load.WriteString("  reference:ratio_rate5m{journey=\"checkout\",component=\"cache\"} 0.99x20\n")
	load.WriteString("  reference:ratio_rate5m{journey=\"checkout\",component=\"catalog\"} 0.99x20\n")
	load.WriteString("  reference:ratio_rate5m{journey=\"checkout\",component=\"paya\"} 0.99x20\n")
	load.WriteString("  reference:ratio_rate5m{journey=\"checkout\",component=\"payb\"} 0.99x20\n")
	load.WriteString("  reference:ratio_rate5m{journey=\"checkout\",component=\"queue\"} 0.99x20\n")

	raw := readFixture(t, "checkout").Pessimistic["5m"]
	reference := "(1 - (" + strings.ReplaceAll(raw, "component:emac_availability:ratio_rate5m", "reference:ratio_rate5m") + ")) / (1 - 0.99)"
	script := load.String() + `
eval instant at 15m ` + resolve("front") + ` - on (journey) (` + reference + `)
  {journey="checkout"} 0

eval instant at 15m ` + resolve("cart") + `

eval instant at 15m ` + resolve("cache") + ` - on (journey) (` + reference + `)
`
	promqltest.RunTest(t, script, promqltest.NewTestEngine(t, false, 0, promqltest.DefaultMaxSamplesPerQuery))
}
