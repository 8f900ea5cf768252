package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/govern"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/law"
	"github.com/emac-dev/emac/internal/model"
)

func TestReport(t *testing.T) {
	j := &model.Journey{
		Name: "j",
		Root: &journey.Series{Steps: []journey.Node{&journey.Leaf{Name: "a"},
			&journey.Race{Branches: []journey.Node{&journey.Leaf{Name: "b"}, &journey.Leaf{Name: "c"}}}}},
		Components: map[string]*model.Component{
			"a": {Name: "a", Availability: model.Availability{Point: 0.999, Lower: 0.998, Source: "inline counts"}, Latency: law.Exponential{Mean: 0.02}},
			"b": {Name: "b", Availability: model.Availability{Point: 0.99, Lower: 0.99}, Domains: []string{"net"}, Latency: law.Exponential{Mean: 0.05}},
			"c": {Name: "c", Availability: model.Availability{Point: 0.99, Lower: 0.99}, Domains: []string{"net"}, Latency: law.Exponential{Mean: 0.05}},
		},
		Objective:  model.Objective{Availability: 0.999, Window: "30d", Latency: &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 0.4}},
		Governance: model.Governance{AvailabilityBound: "pessimistic", LatencyBound: "upperConfidence", MinConfidence: 0.8, ConfidenceLevel: 0.95},
	}
	ev, err := compute.Evaluate(j)
	if err != nil {
		t.Fatal(err)
	}
	dec := govern.Decide(j, govern.Bounds{Optimistic: ev.Availability.Optimistic, Pessimistic: ev.Availability.Pessimistic})
	r := Build(Input{Version: "test", Journey: j, Evaluation: ev, Decision: dec,
		Artifacts: []Artifact{{Path: "prometheus/rules.yaml", Kind: "prometheus-rules", Implements: []string{"journey SLIs"}}}})
	data, err := JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatalf("derivation.json is not JSON: %v", err)
	}
	for _, k := range []string{"availability", "latency", "decision", "components", "contributors", "assumptions", "artifacts"} {
		if _, ok := back[k]; !ok {
			t.Errorf("derivation.json lacks %q", k)
		}
	}
	md := string(Markdown(r))
	for _, want := range []string{"DO NOT EDIT", "## Decision: **FAIL**", "Series(a, Race(b, c))", "| `Series/Race[1]` |", "prometheus/rules.yaml", "share failure domain net"} {
		if !strings.Contains(md, want) {
			t.Errorf("derivation.md lacks %q", want)
		}
	}
	page, err := HTML(r)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{"DO NOT EDIT", `class="FAIL"`, "Series(a, Race(b, c))", ">race</tspan>", ">b</tspan>",
		`aria-label="journey graph"`, `aria-label="latency bands"`} {
		if !strings.Contains(html, want) {
			t.Errorf("index.html lacks %q", want)
		}
	}
	if n := strings.Count(html, "<polyline"); n != 3 {
		t.Errorf("index.html has %d latency curves, want 3", n)
	}
	if strings.Count(html, "<svg") != strings.Count(html, "</svg>") || strings.Contains(html, "<script") {
		t.Errorf("index.html: unbalanced svg or a script")
	}
	again, _ := JSON(Build(Input{Version: "test", Journey: j, Evaluation: ev, Decision: dec}))
	if string(again) == string(data) {
		t.Error("artifacts missing from the report changed nothing")
	}
}
