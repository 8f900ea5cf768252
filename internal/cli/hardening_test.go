package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
)

// These tests reproduce, one by one, what issue 9's tester did to emac as
// a new user and as an attacker. Each goes through Run, as a user would.

// writeSpec writes a small journey named name with expression expr into
// dir/file and returns its path. extra is added under spec.components.
func writeSpec(t *testing.T, dir, file, name, expr, extra string) string {
	t.Helper()
	spec := fmt.Sprintf(`apiVersion: emac.dev/v1alpha1
kind: JourneyIntent
metadata: {name: %q}
spec:
  objectives:
    availability: {target: 0.99, window: 30d}
    latency: {window: 30d, objective: {metric: p99, threshold: 0.4}}
  expr: %q
  components:
    a: {availability: 0.999, latency: {lognormal: {median: 50ms, sigma: 0.3}}}
    b: {availability: 0.99, latency: {lognormal: {median: 20ms, sigma: 0.5}}}
%s`, name, expr, extra)
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// listAll returns every path under dir (relative), sorted by the walk.
func listAll(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

// Item 1: a journey name is a path and a Kubernetes name; hostile ones
// are refused with the rule, and nothing is written anywhere.
func TestHostileJourneyNames(t *testing.T) {
	for _, name := range []string{"../../escaped", "../../../tmp/x", "..", "x/y", `chk"} or vector(1) #`,
		"Checkout", strings.Repeat("a", 64), "-lead", "a.b"} {
		t.Run(name, func(t *testing.T) {
			base := t.TempDir()
			in := filepath.Join(base, "in")
			os.Mkdir(in, 0o755)
			writeSpec(t, in, "j.yaml", name, "Series(a, b)", "")
			out := filepath.Join(base, "work", "gen")
			_, stderr, code := run(t, "compile", in, "-o", out)
			if code != 2 || !strings.Contains(stderr, "DNS-1123 label") {
				t.Errorf("compile: exit %d, stderr:\n%s", code, stderr)
			}
			if got := listAll(t, base); len(got) != 2 || got[0] != "in" || got[1] != filepath.Join("in", "j.yaml") {
				t.Errorf("compile wrote %v", got)
			}
			if _, stderr, code := run(t, "eval", in); code != 2 || !strings.Contains(stderr, "j.yaml:3:") {
				t.Errorf("eval: exit %d, stderr:\n%s", code, stderr)
			}
		})
	}
}

// Item 1: component and domain names that could not be written in an
// expression, or that climb, are refused at their position.
func TestHostileComponentAndDomainNames(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "j.yaml", "j", "Series(a, b)", `    "../x": {availability: 0.9}
    c: {availability: 0.9, failureDomains: ["../../etc", "zone//a", "ok/zone-1"]}
`)
	_, stderr, code := run(t, "eval", dir)
	for _, want := range []string{`component name "../x" is not valid`, `failure domain "../../etc" is not valid`, `failure domain "zone//a" is not valid`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 2 || strings.Contains(stderr, `"ok/zone-1" is not valid`) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// Item 2: endless and huge inputs stop at a limit, named with its flag.
func TestEndlessAndHugeInputsStop(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "samples.txt")
	os.WriteFile(big, bytes.Repeat([]byte("0.0123\n"), 300_000), 0o644) // 2.1 MB
	writeSpec(t, dir, "file.yaml", "file", "Series(a, c)", "    c: {availability: 0.9, latency: {samplesFile: samples.txt}}\n")
	zero := t.TempDir()
	writeSpec(t, zero, "zero.yaml", "zero", "Series(a, c)", "    c: {availability: 0.9, latency: {samplesFile: /dev/zero}}\n")
	inline := t.TempDir()
	writeSpec(t, inline, "inline.yaml", "inline", "Series(a, c)", "    c: {availability: 0.9, latency: {samples: ["+strings.Repeat("0.01, ", 2000)+"0.01]}}\n")
	huge := filepath.Join(t.TempDir(), "huge.yaml")
	os.WriteFile(huge, bytes.Repeat([]byte("# padding padding padding padding\n"), 520_000), 0o644) // 17.7 MB
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"spec is /dev/zero", []string{"eval", "/dev/zero"}, "--max-file-bytes"},
		{"spec over 16 MiB", []string{"eval", huge}, "exceeds the limit of 16,777,216 bytes (raise it with --max-file-bytes)"},
		{"samplesFile over the limit", []string{"eval", dir, "--max-file-bytes", "1048576"}, "--max-file-bytes"},
		{"samplesFile /dev/zero", []string{"eval", zero}, "/dev/zero lies outside the inputs"},
		{"inline samples", []string{"eval", inline, "--max-leaf-samples", "1000"}, "exceeds the limit of 1,000 samples (raise it with --max-leaf-samples)"},
		{"samplesFile samples", []string{"eval", dir, "--max-leaf-samples", "1000"}, "--max-leaf-samples"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := run(t, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, want 2 and %q in stderr:\n%.2000s", code, c.want, stderr)
			}
		})
	}
}

// Item 3: work that would not end is refused before it starts, with the
// limit and its flag, and never with a Go stack trace.
func TestUnboundedWorkRefused(t *testing.T) {
	dir := t.TempDir()
	spec := func(name, expr string) string { return writeSpec(t, dir, name+".yaml", name, expr, "") }
	series := spec("series", "Series("+strings.Repeat("a, ", 99_999)+"a)")
	parallel := spec("parallel", "Parallel("+strings.Repeat("b, ", 99_999)+"b)")
	retry := spec("retry", "Retry(1000000000, 50ms; b)")
	deep := spec("deep", strings.Repeat("Series(a, ", 100)+"b"+strings.Repeat(")", 100))
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"simulate 1e12 samples", []string{"simulate", "../../examples/checkout", "--samples", "1000000000000"}, "raise it with --max-samples"},
		{"simulate 1e12 samples, limit raised", []string{"simulate", "../../examples/checkout", "--samples", "1000000000000", "--max-samples", "2000000000000"}, "of memory to keep the latencies"},
		{"Retry of 1e9 attempts", []string{"eval", retry}, "raise it with --max-retry-attempts"},
		{"Series of 100,000 leaves", []string{"eval", series}, "raise it with --max-nodes"},
		{"Parallel of 100,000 branches", []string{"eval", parallel}, "raise it with --max-nodes"},
		{"Parallel of 100,000 branches, nodes raised", []string{"eval", parallel, "--max-nodes", "200000"}, "raise it with --max-branches"},
		{"nesting of 100", []string{"eval", deep}, "raise it with --max-depth"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := run(t, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "goroutine") {
				t.Errorf("exit %d, want 2 and %q in stderr:\n%.2000s", code, c.want, stderr)
			}
		})
	}
}

// Item 5: check fails when the output holds a journey that is no longer
// defined.
func TestCheckReportsRemovedJourney(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "keep.yaml", "keep", "Series(a, b)", "")
	gone := writeSpec(t, dir, "gone.yaml", "gone", "Series(a, b)", "")
	out := filepath.Join(t.TempDir(), "gen")
	if _, stderr, code := run(t, "compile", dir, "-o", out); code != 0 {
		t.Fatalf("compile: %s", stderr)
	}
	os.Remove(gone)
	stdout, _, code := run(t, "check", dir, "--generated", out)
	if code != 1 || !strings.Contains(stdout, "unexpected: gone/") {
		t.Errorf("check: exit %d, stdout:\n%s", code, stdout)
	}
}

// Item 6: a command whose output cannot be written fails.
func TestWriteErrorsFail(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here")
	}
	defer full.Close()
	traces := filepath.Join(t.TempDir(), "traces.jsonl")
	if _, stderr, code := run(t, "simulate", "../../examples/checkout", "--emit-traces", traces, "--samples", "200"); code != 0 {
		t.Fatalf("emit traces: %s", stderr)
	}
	for _, args := range [][]string{
		{"eval", "../../examples/checkout"},
		{"eval", "../../examples/checkout", "--format", "json"},
		{"eval", "../../examples/checkout", "--format", "yaml"},
		{"simulate", "../../examples/checkout", "--samples", "1000"},
		{"diff", "testdata/paper-diff", "--model", "testdata/paper-diff/new-tree.yaml"},
		{"check", "../../examples/checkout", "--generated", t.TempDir()},
		{"discover", "--traces", traces},
		{"--help"},
	} {
		var stderr bytes.Buffer
		code := Run(context.Background(), args, strings.NewReader(""), full, &stderr)
		if code == 0 || !strings.Contains(stderr.String(), "no space left on device") {
			t.Errorf("%v: exit %d, stderr:\n%s", args, code, stderr.String())
		}
	}
}

// Item 7: smaller defects of messages and arguments.
func TestSmallInputDefects(t *testing.T) {
	dir := t.TempDir()
	high := writeSpec(t, dir, "high.yaml", "high", "Series(a, b)", "")
	data, _ := os.ReadFile(high)
	os.WriteFile(high, bytes.Replace(data, []byte("target: 0.99,"), []byte(`target: "high",`), 1), 0o644)
	notModel := writeSpec(t, t.TempDir(), "other.yaml", "other", "Series(a, b)", "")
	plain := t.TempDir()
	writeSpec(t, plain, "p.yaml", "plain", "Series(a, b)", "")
	q999 := t.TempDir()
	data, _ = os.ReadFile(writeSpec(t, q999, "q.yaml", "q", "Series(a, b)", ""))
	os.WriteFile(filepath.Join(q999, "q.yaml"), bytes.Replace(data, []byte("metric: p99, threshold: 0.4"), []byte("metric: p99.9, threshold: 0.01"), 1), 0o644)
	for _, c := range []struct {
		name     string
		args     []string
		code     int
		want     string
		unwanted string
	}{
		{"target high: one error", []string{"eval", high}, 2, "1 error in the input", "got 0"},
		{"--model not a model", []string{"eval", plain, "--model", notModel}, 2, "holds no DiscoveredJourneyModel", ""},
		{"diff --model missing", []string{"diff", plain, "--model", "/nonexistent/model.yaml"}, 2, "no such file or directory", "want a DiscoveredJourneyModel"},
		{"no command", nil, 2, "a command is needed", ""},
		{"quantile names", []string{"eval", q999}, 0, "p99.9 ", "99.89999"},
		{"compile without telemetry", []string{"compile", plain, "-o", filepath.Join(t.TempDir(), "g")}, 0, "no component has telemetry", ""},
		{"discover --window 0", []string{"discover", "--traces", high, "--window", "0"}, 2, "--window", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, code := run(t, c.args...)
			all := stdout + stderr
			if code != c.code || !strings.Contains(all, c.want) || (c.unwanted != "" && strings.Contains(all, c.unwanted)) {
				t.Errorf("exit %d (want %d), want %q and not %q in:\n%s", code, c.code, c.want, c.unwanted, all)
			}
		})
	}
}

// Item 7: computed numbers in messages are rounded (no 0.9889999999999781).
func TestMessagesRoundComputedNumbers(t *testing.T) {
	dir := t.TempDir()
	p := writeSpec(t, dir, "r.yaml", "r", "Series(a, Retry(10, 50ms; b))", "")
	data, _ := os.ReadFile(p)
	os.WriteFile(p, bytes.Replace(data, []byte("a: {availability: 0.999,"), []byte("a: {availability: 0.989,"), 1), 0o644)
	stdout, stderr, _ := run(t, "eval", dir)
	if strings.Contains(stdout+stderr, "99999999") {
		t.Errorf("unrounded number in:\n%s%s", stdout, stderr)
	}
}

// Item 7: an unbounded latency reads "unbounded" in reasons, not "+Infs".
func TestUnboundedLatencyReason(t *testing.T) {
	dir := t.TempDir()
	writeSpec(t, dir, "u.yaml", "u", "Series(a, c)", "    c: {availability: 0.9, latency: {histogram: {bounds: [0.1], counts: [5, 95]}}}\n")
	stdout, stderr, code := run(t, "eval", dir)
	if code != 0 || strings.Contains(stdout, "+Infs") || !strings.Contains(stdout, "unbounded exceeds the threshold") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}

// Issue 10, item 5: a latency number that is not finite is null in JSON
// (with its reason among the assumptions), never an encoding error.
func TestNonFiniteLatencyIsNull(t *testing.T) {
	inf := math.Inf(1)
	r := journeyResult{Journey: "j", Latency: &latencyOut{Quantile: 0.99, EstimateSeconds: finite(inf),
		UpperConfidenceSeconds: finite(math.NaN()), UpperBoundSeconds: finite(inf)}}
	var out bytes.Buffer
	if err := writeEval(&out, evalOutput{Journeys: []journeyResult{r}}, "json"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"estimateSeconds": null`) {
		t.Errorf("JSON:\n%s", out.String())
	}
	data, err := json.Marshal(compute.LatencyResult{EstimateSeconds: inf, UpperConfidenceSeconds: inf, UpperBoundSeconds: math.NaN()})
	if err != nil || !strings.Contains(string(data), `"estimateSeconds":null`) {
		t.Errorf("derivation JSON: %s, %v", data, err)
	}
}

// TestOversizedObjects checks the warning for generated Kubernetes objects
// that etcd would refuse.
func TestOversizedObjects(t *testing.T) {
	fs := fileSet{
		"big/kubernetes/prometheusrule.yaml":   make([]byte, 11),
		"big/argo/analysistemplate.yaml":       make([]byte, 10),
		"big/prometheus/rules.yaml":            make([]byte, 50),
		"small/kubernetes/prometheusrule.yaml": make([]byte, 3),
	}
	got := fs.oversized(10)
	if len(got) != 1 || !strings.Contains(got[0], "journey big: kubernetes/prometheusrule.yaml") {
		t.Errorf("oversized = %q, want one warning for big's PrometheusRule", got)
	}
}
