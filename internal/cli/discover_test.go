package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiscoverRoundTrip closes the loop through the command line: simulate
// writes traces of examples/checkout in every format, discover proposes a
// model from them, and the model's tree is the example's, its domains
// include the cluster the in-house components share, and diff reads it.
func TestDiscoverRoundTrip(t *testing.T) {
	const want = "Series(frontend, Cond(p_hit; cache, catalog), Timeout(200ms; Race(paya, payb), queue))"
	for _, format := range []string{"otlp", "otlp-proto", "jaeger", "zipkin"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			traces := filepath.Join(dir, "traces."+format)
			if _, stderr, code := run(t, "simulate", "../../examples/checkout", "--emit-traces", traces,
				"--samples", "20000", "--seed", "3", "--format", format); code != 0 {
				t.Fatalf("simulate: exit %d: %s", code, stderr)
			}
			list, stderr, code := run(t, "discover", "--traces", traces)
			if code != 0 || !strings.Contains(list, "gateway") || !strings.Contains(list, "checkout") {
				t.Fatalf("candidates: exit %d\n%s\n%s", code, list, stderr)
			}
			modelFile := filepath.Join(dir, "model.yaml")
			if _, stderr, code := run(t, "discover", "--traces", traces, "--journey", "gateway checkout", "-o", modelFile); code != 0 {
				t.Fatalf("discover: exit %d: %s", code, stderr)
			}
			var doc struct {
				Kind string
				Spec struct {
					Expr           string
					FailureDomains struct {
						Inferred []struct {
							Name    string
							Members []string
						}
					} `yaml:"failureDomains"`
				}
			}
			readYAML(t, modelFile, &doc)
			if doc.Kind != "DiscoveredJourneyModel" {
				t.Fatalf("kind %q", doc.Kind)
			}
			if got := stripProbs(doc.Spec.Expr); got != stripProbs(want) {
				t.Errorf("discovered %s, want the shape of %s", doc.Spec.Expr, want)
			}
			found := false
			for _, d := range doc.Spec.FailureDomains.Inferred {
				if d.Name == "cluster/prod-eu1" && strings.Join(d.Members, ",") == "cache,catalog,frontend,queue" {
					found = true
				}
			}
			if !found {
				t.Errorf("cluster/prod-eu1 over cache, catalog, frontend, queue not recovered: %+v", doc.Spec.FailureDomains.Inferred)
			}
			if _, stderr, code := run(t, "diff", "../../examples/checkout", "--model", modelFile); code != 0 {
				t.Errorf("diff against the discovered model: exit %d: %s", code, stderr)
			}
		})
	}
}

// stripProbs removes Cond probabilities, which differ by sampling.
func stripProbs(expr string) string {
	var b strings.Builder
	for i := 0; i < len(expr); i++ {
		if strings.HasPrefix(expr[i:], "Cond(") {
			b.WriteString("Cond(")
			i += len("Cond(")
			for i < len(expr) && expr[i] != ';' {
				i++
			}
		}
		b.WriteByte(expr[i])
	}
	return b.String()
}

func TestDiscoverBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"resourceSpans": [{"scopeSpans": [}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "model.yaml")
	for _, args := range [][]string{
		{"discover"},
		{"discover", "--traces", filepath.Join(dir, "missing.json")},
		{"discover", "--traces", bad, "--journey", "checkout", "-o", out},
	} {
		_, stderr, code := run(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a model was written despite the error")
	}
}

// TestDiscoverInfra adds Kubernetes placement and Istio routing to the
// traces' evidence: a zone domain from the manifests' pins, and the mesh
// route's deadline confirmed by the traces.
func TestDiscoverInfra(t *testing.T) {
	dir := t.TempDir()
	traces := filepath.Join(dir, "traces.jsonl")
	if _, stderr, code := run(t, "simulate", "../../examples/checkout", "--emit-traces", traces, "--samples", "5000"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	out, stderr, code := run(t, "discover", "--traces", traces, "--journey", "checkout",
		"--k8s", "testdata/discover/k8s", "--mesh", "testdata/discover/mesh")
	if code != 0 {
		t.Fatalf("discover: exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"- name: zone/eu-west-1a\n        members: [cache, catalog, frontend]",
		"testdata/discover/k8s/shop.yaml:17: Deployment shop/frontend: required node affinity topology.kubernetes.io/zone=eu-west-1a",
		"is Timeout(200ms; paya); the traces agree: a 0.2s deadline around it",
		"callType: istio-route",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("model lacks %q", want)
		}
	}
	if strings.Contains(out, "zone/eu-west-1a\n        members: [cache, catalog, frontend, queue]") {
		t.Errorf("the queue spreads over zones; it must not join the zone domain")
	}
}
