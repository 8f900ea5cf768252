package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/golden"
	"github.com/emac-dev/emac/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// artifactSrc stands, in tables of sources, for the reference artifact's
// checkout example; source resolves it.
const artifactSrc = "<artifact>"

// artifactCheckout returns the reference artifact's checkout example
// beside the repository (DESIGN §1), skipping t when the artifact is
// absent (failing it with EMAC_REQUIRE_ARTIFACT=1; see testenv.Artifact).
func artifactCheckout(t *testing.T) string {
	t.Helper()
	return filepath.Join(testenv.Artifact(t), "examples", "checkout")
}

// source returns src, or the artifact's checkout example for artifactSrc.
func source(t *testing.T, src string) string {
	t.Helper()
	if src == artifactSrc {
		return artifactCheckout(t)
	}
	return src
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), code
}

func TestEvalGolden(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"checkout.txt", []string{"eval", "../../examples/checkout"}},
		{"checkout.json", []string{"eval", "../../examples/checkout", "--format", "json"}},
		{"paper.json", []string{"eval", "testdata/paper", "--format", "json"}},
		{"paper.txt", []string{"eval", "testdata/paper/intent.yaml", "testdata/paper/slos.yaml"}},
		{"paper.yaml", []string{"eval", "testdata/paper", "--format", "yaml", "--journey", "paper-checkout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := run(t, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			golden.Check(t, filepath.Join("testdata", "golden", tc.name), []byte(out), *update)
		})
	}
}

// TestEvalReproducesArtifact reads the reference artifact unchanged and
// checks the numbers of its derivation report.
func TestEvalReproducesArtifact(t *testing.T) {
	for _, c := range []struct{ name, src string }{
		{"artifact", artifactSrc},
		{"paper", "testdata/paper"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := source(t, c.src)
			out, stderr, code := run(t, "eval", dir, "--format", "json")
			if code != 0 {
				t.Fatalf("%s: exit %d, stderr:\n%s", dir, code, stderr)
			}
			var got evalOutput
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Journeys) != 1 {
				t.Fatalf("%s: want 1 journey, got %d", dir, len(got.Journeys))
			}
			j := got.Journeys[0]
			if d := math.Abs(j.Availability.Optimistic - 0.99747706); d > 1e-8 {
				t.Errorf("%s: optimistic = %.10f, want 0.99747706 ±1e-8", dir, j.Availability.Optimistic)
			}
			if d := math.Abs(j.Availability.Pessimistic - 0.99251449); d > 1e-8 {
				t.Errorf("%s: pessimistic = %.10f, want 0.99251449 ±1e-8", dir, j.Availability.Pessimistic)
			}
			if j.Decision.Verdict != "FAIL" {
				t.Errorf("%s: verdict = %s, want FAIL", dir, j.Decision.Verdict)
			}
		})
	}
}

func TestEvalJSONKeys(t *testing.T) {
	out, _, code := run(t, "eval", "testdata/paper", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var raw struct {
		Journeys []map[string]json.RawMessage `json:"journeys"`
	}
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	want := []string{"journey", "objective", "availability", "latency", "decision", "confidence", "contributors", "assumptions"}
	for _, k := range want {
		if _, ok := raw.Journeys[0][k]; !ok {
			t.Errorf("missing key %q", k)
		}
	}
	if len(raw.Journeys[0]) != len(want) {
		t.Errorf("got %d keys, want exactly %v", len(raw.Journeys[0]), want)
	}
}

func TestEvalExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stderrHas  string
		stdoutNone bool
	}{
		{"spec errors", []string{"eval", "../spec/testdata/many-errors.bad.yaml"}, 2, "many-errors.bad.yaml:12:23: unknown component \"b\"", true},
		{"missing path", []string{"eval", "testdata/nope"}, 2, "cannot read testdata/nope", true},
		{"no path", []string{"eval"}, 2, "requires at least 1 arg", true},
		{"bad format", []string{"eval", "testdata/paper", "--format", "xml"}, 2, "--format \"xml\"", true},
		{"unknown flag", []string{"eval", "testdata/paper", "--frmat", "json"}, 2, "unknown flag", true},
		{"unknown journey", []string{"eval", "testdata/paper", "--journey", "cart"}, 2, "no journey named \"cart\"", true},
		{"no intent", []string{"eval", "testdata/paper/slos.yaml"}, 2, "no JourneyIntent", true},
		{"fail verdict still exits 0", []string{"eval", "testdata/paper"}, 0, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if !strings.Contains(stderr, tc.stderrHas) {
				t.Errorf("stderr does not contain %q:\n%s", tc.stderrHas, stderr)
			}
			if tc.stdoutNone && out != "" {
				t.Errorf("stdout should be empty on error, got:\n%s", out)
			}
		})
	}
}

func TestEvalCaretPointsIntoExpression(t *testing.T) {
	_, stderr, code := run(t, "eval", "../spec/testdata/expr-unknown-op.bad.yaml")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	want := "expr-unknown-op.bad.yaml:7:19: unknown operator \"Rcae\""
	if !strings.Contains(stderr, want) {
		t.Fatalf("stderr lacks %q:\n%s", want, stderr)
	}
	lines := strings.Split(stderr, "\n")
	for i, l := range lines {
		if strings.Contains(l, want) && i+2 < len(lines) {
			src, caret := lines[i+1], lines[i+2]
			if col := strings.Index(caret, "^"); col < 0 || !strings.HasPrefix(src[col:], "Rcae") {
				t.Fatalf("caret does not point at Rcae:\n%s\n%s", src, caret)
			}
			return
		}
	}
	t.Fatalf("no source context after the error:\n%s", stderr)
}
