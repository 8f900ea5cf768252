package cli

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// artifactModel returns the reference artifact's discovered model, in
// which the payment providers share one payment network; it skips t when
// the artifact is absent.
func artifactModel(t *testing.T) string {
	t.Helper()
	return filepath.Join(artifactCheckout(t), "model_discovery", "discovered.checkout.yaml")
}

type diffJSON struct {
	Deltas []struct {
		Kind string
		Spec struct {
			Before, After struct{ Pessimistic, Optimistic float64 }
			Impact        string
			Changes       []struct {
				Kind, Subject, Before, After, Impact string
				Confidence                           float64
				Effect                               struct{ Pessimistic float64 }
			}
		}
	}
}

// TestDiffArtifactScenario: the payment providers move from separate
// networks into the artifact's shared payment network.
func TestDiffArtifactScenario(t *testing.T) {
	model := artifactModel(t)
	out, stderr, code := run(t, "diff", "testdata/paper-diff", "--model", model, "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d diffJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Deltas) != 1 || d.Deltas[0].Kind != "ModelDelta" {
		t.Fatalf("want one ModelDelta, got %s", out)
	}
	s := d.Deltas[0].Spec
	if math.Abs(s.Before.Pessimistic-0.99747706) > 5e-9 || math.Abs(s.After.Pessimistic-0.99251449) > 5e-9 {
		t.Errorf("A- %.8f -> %.8f, want 0.99747706 -> 0.99251449", s.Before.Pessimistic, s.After.Pessimistic)
	}
	if s.Impact != "high" {
		t.Errorf("impact %q, want high", s.Impact)
	}
	found := false
	for _, c := range s.Changes {
		if c.Kind == "domain" && c.Subject == "payment-network" {
			found = true
			if c.Impact != "high" || c.After != "{paya, payb}" || c.Confidence != 1 {
				t.Errorf("payment-network change: %+v", c)
			}
			if math.Abs(c.Effect.Pessimistic-(0.99251449-0.99747706)) > 1e-8 {
				t.Errorf("predicted ΔA- %.8f", c.Effect.Pessimistic)
			}
		} else if c.Impact == "high" {
			t.Errorf("unexpected high-impact change %+v", c)
		}
	}
	if !found {
		t.Errorf("no payment-network domain change in %s", out)
	}
	text, _, code := run(t, "diff", "testdata/paper-diff", "--model", model)
	if code != 0 || !strings.Contains(text, "[high] domain payment-network: {} -> {paya, payb}") ||
		!strings.Contains(text, "0.99747706 -> 0.99251449") {
		t.Errorf("text review:\n%s", text)
	}
}

// TestDiffTree: a proposed tree that serialises the providers and drops
// pricing gives operator and edge changes sharing the whole tree's effect.
func TestDiffTree(t *testing.T) {
	dir := t.TempDir()
	deltaFile := filepath.Join(dir, "delta.yaml")
	out, stderr, code := run(t, "diff", "testdata/paper-diff", "--model", "testdata/paper-diff/new-tree.yaml", "--format", "json", "-o", deltaFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var d diffJSON
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range d.Deltas[0].Spec.Changes {
		got[c.Kind+" "+c.Subject] = c.Before + " => " + c.After + " " + c.Impact
	}
	want := map[string]string{
		"edge journey → pricing": "called => not called high",
		"operator paya":          "series > race => series high",
		"operator payb":          "series > race => series high",
		"operator cart":          "series > parallel => series high",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	data, err := os.ReadFile(deltaFile)
	if err != nil || !strings.Contains(string(data), "kind: ModelDelta") {
		t.Errorf("-o file: %v\n%s", err, data)
	}
}

func TestDiffBadInput(t *testing.T) {
	for _, args := range [][]string{
		{"diff", "testdata/paper-diff"},
		{"diff", "testdata/paper-diff", "--model", "testdata/paper/slos.yaml"},
		{"diff", "testdata/paper-diff", "--model", "testdata/nope.yaml"},
		{"diff", "testdata/paper-diff", "--model", "testdata/paper-diff/new-tree.yaml", "--format", "xml"},
	} {
		if _, _, code := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
