package cli

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func simulateJSON(t *testing.T, args ...string) simulateOutput {
	t.Helper()
	out, stderr, code := run(t, append([]string{"simulate", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var got simulateOutput
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	return got
}

func TestSimulateReproducible(t *testing.T) {
	a := simulateJSON(t, "../../examples/checkout", "--samples", "20000", "--seed", "3")
	b := simulateJSON(t, "../../examples/checkout", "--samples", "20000", "--seed", "3")
	c := simulateJSON(t, "../../examples/checkout", "--samples", "20000", "--seed", "4")
	if a.Availability != b.Availability || *a.Latency != *b.Latency {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
	if a.Availability == c.Availability && a.Latency.Seconds == c.Latency.Seconds {
		t.Errorf("different seeds gave identical results")
	}
	if a.Samples != 20000 || a.Latency == nil || a.Latency.Quantile != 0.99 {
		t.Errorf("unexpected output %+v", a)
	}
}

// TestSimulateMatchesEval: the paper journey's simulated availability is
// within 5 standard errors of A+ (independent) and not below A- (shared).
func TestSimulateMatchesEval(t *testing.T) {
	ind := simulateJSON(t, "testdata/paper", "--samples", "400000", "--seed", "1")
	if d := math.Abs(ind.Availability - 0.99747706); d > 5*ind.AvailabilityStdErr {
		t.Errorf("independent availability %.6f, A+ 0.99747706 (stderr %.2g)", ind.Availability, ind.AvailabilityStdErr)
	}
	if ind.Latency != nil {
		t.Errorf("paper journey has no latency evidence, got %+v", ind.Latency)
	}
	shared := simulateJSON(t, "testdata/paper", "--samples", "400000", "--seed", "1", "--correlation", "shared")
	if shared.Availability < 0.99251449-5*shared.AvailabilityStdErr {
		t.Errorf("shared availability %.6f below A- 0.99251449", shared.Availability)
	}
}

func TestSimulateBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "testdata/paper", "--correlation", "rho=2"}, "--correlation"},
		{[]string{"simulate", "testdata/paper", "--samples", "0"}, "--samples must be at least 1"},
		{[]string{"simulate", "testdata/paper", "--format", "yaml"}, "--format"},
		{[]string{"simulate", "../spec/testdata/all-operators.good.yaml"}, "choose one with --journey"},
	}
	for _, tc := range tests {
		_, stderr, code := run(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}
