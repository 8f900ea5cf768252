package compute_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/testenv"
)

// TestLargeJourneyAgreesWithSubtrees evaluates a Series of 1,000-leaf
// journeys that share no component or domain (ten of them, 10,000 leaves,
// with EMAC_LONG=1; two otherwise) and checks that every node of each
// subtree has the A+ of the subtree evaluated alone, and every Timeout and
// Retry the same estimated late fraction: deadlines live on grids of their
// own, so the size of the rest of the journey changes none of them. The
// histogram leaves' confidence bands share one error rate across the
// journey (Bonferroni), so in the whole journey they are wider: A− and the
// pessimistic late fractions may only be lower, never higher.
func TestLargeJourneyAgreesWithSubtrees(t *testing.T) {
	parts := testenv.Size(t, 10, 2)
	whole := &model.Journey{Name: "whole", Components: map[string]*model.Component{}}
	series := &journey.Series{}
	alone := make([]*compute.Evaluation, parts)
	for i := range parts {
		r := rand.New(rand.NewPCG(uint64(i), 77))
		sub := genJourney(r, genOptions{leaves: 1000, pool: 300, domains: 40, laws: true, prefix: fmt.Sprintf("s%d-", i)})
		sub.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
		ev, err := compute.Evaluate(sub)
		if err != nil {
			t.Fatal(err)
		}
		alone[i] = ev
		for name, c := range sub.Components {
			whole.Components[name] = c
		}
		series.Steps = append(series.Steps, sub.Root)
	}
	whole.Root = series
	whole.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
	ev, err := compute.Evaluate(whole)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]compute.Step{}
	for _, s := range ev.Availability.Trace {
		steps[s.Path] = s
	}
	late := map[string]compute.LateFraction{}
	for _, l := range ev.Latency.Late {
		late[l.Path] = l
	}
	checked := 0
	for i, a := range alone {
		prefix := fmt.Sprintf("Series/%s[%d]", rootSegment(a.Availability.Trace[0].Path), i)
		for _, s := range a.Availability.Trace {
			path := prefix + strings.TrimPrefix(s.Path, rootSegment(s.Path))
			w, ok := steps[path]
			if !ok {
				t.Fatalf("part %d: node %s not found at %s", i, s.Path, path)
			}
			if math.Abs(w.Optimistic-s.Optimistic) > 1e-12 || w.Pessimistic > s.Pessimistic+1e-12 {
				t.Errorf("part %d node %s: whole [%v, %v], alone [%v, %v]", i, s.Path, w.Pessimistic, w.Optimistic, s.Pessimistic, s.Optimistic)
			}
			checked++
		}
		for _, l := range a.Latency.Late {
			path := prefix + strings.TrimPrefix(l.Path, rootSegment(l.Path))
			w, ok := late[path]
			if !ok {
				t.Fatalf("part %d: deadline %s not found at %s", i, l.Path, path)
			}
			if w.Estimate != l.Estimate || w.Pessimistic < l.Pessimistic || w.LowerOnTime > l.LowerOnTime {
				t.Errorf("part %d deadline %s: whole %+v, alone %+v", i, l.Path, w, l)
			}
		}
	}
	t.Logf("%d parts, %d nodes and %d deadlines agree", parts, checked, len(late))
}

// rootSegment returns the first segment of a trace path ("Series" of
// "Series/Race[2]").
func rootSegment(path string) string {
	if i := strings.IndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return path
}
