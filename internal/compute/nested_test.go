package compute_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/spec/spectest"
)

// TestNestedDeadlineReadAtItsTime (issue 10, item 3): a Timeout nested in
// a Retry whose per-try timeout is shorter has its own deadline on the
// grid. In Retry(2, 20ms; Timeout(200ms; a, b)) with a lognormal(5ms,
// σ=1), 1 − Φ(ln 40) ≈ 1.1e-4 of a's answers arrive after 200 ms; the
// grid used to end near 50 ms and read 48 %.
func TestNestedDeadlineReadAtItsTime(t *testing.T) {
	dir := t.TempDir()
	spec := `apiVersion: emac.dev/v1alpha1
kind: JourneyIntent
metadata: {name: nested}
spec:
  objectives:
    availability: {target: 0.99, window: 30d}
    latency: {window: 30d, objective: {metric: p99, threshold: 0.4}}
  expr: "Retry(2, 20ms; Timeout(200ms; a, b))"
  components:
    a: {availability: 0.999, latency: {lognormal: {median: 5ms, sigma: 1.0}}}
    b: {availability: 0.99, latency: {lognormal: {median: 3ms, sigma: 0.5}}}
`
	os.WriteFile(filepath.Join(dir, "j.yaml"), []byte(spec), 0o644)
	ev, err := compute.Evaluate(spectest.LoadOne(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	want := 0.5 * math.Erfc(math.Log(40)/math.Sqrt2)
	for _, lf := range ev.Latency.Late {
		if lf.Path == "Retry/Timeout[0]" {
			if math.Abs(lf.Estimate-want) > 1e-6 {
				t.Errorf("late fraction %.3g, want %.3g", lf.Estimate, want)
			}
			return
		}
	}
	t.Fatalf("no late fraction for the inner Timeout: %+v", ev.Latency.Late)
}
