package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// modelTraces returns provenance.traces of a written model.
func modelTraces(t *testing.T, file string) int {
	t.Helper()
	var doc struct {
		Spec struct {
			Provenance struct{ Traces int }
		}
	}
	readYAML(t, file, &doc)
	return doc.Spec.Provenance.Traces
}

// TestDiscoverDuplicateFiles: the same traces exported twice, into two
// files (at-least-once export), are read once: the copies are dropped and
// counted, whatever the distance between them, and the model counts each
// request once (issue 11, defect 5: the copies came back as phantom
// instances once they lay more than the window apart).
func TestDiscoverDuplicateFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.jsonl")
	if _, stderr, code := run(t, "simulate", "../../examples/checkout", "--emit-traces", a, "--samples", "15000", "--seed", "5"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(dir, "b.jsonl")
	if err := os.WriteFile(b, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "model.yaml")
	_, stderr, code := run(t, "discover", "--traces", a, b, "--journey", "gateway checkout", "-o", out)
	if code != 0 {
		t.Fatalf("discover: exit %d: %s", code, stderr)
	}
	if n := modelTraces(t, out); n != 15000 {
		t.Errorf("model from %d instances, want 15000", n)
	}
	if !strings.Contains(stderr, "duplicate spans") {
		t.Errorf("duplicates not reported:\n%s", stderr)
	}
}

// groupedByService writes the traces of n simulated checkout requests
// into one OTLP JSON file per service, each holding that service's spans
// of every trace (as per-service collectors export them), and returns the
// directory.
func groupedByService(t *testing.T, n string) string {
	t.Helper()
	dir := t.TempDir()
	all := filepath.Join(dir, "all.jsonl")
	if _, stderr, code := run(t, "simulate", "../../examples/checkout", "--emit-traces", all, "--samples", n, "--seed", "9"); code != 0 {
		t.Fatalf("simulate: %s", stderr)
	}
	bySvc := map[string][]trace.Span{}
	if _, err := trace.Read([]string{all}, trace.Options{}, func(_ string, s *trace.Span) error {
		bySvc[s.Service] = append(bySvc[s.Service], *s)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(all); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "by-service")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	for svc, spans := range bySvc {
		var buf bytes.Buffer
		w, _ := trace.NewWriter(&buf, trace.FormatOTLP)
		for i := 0; i < len(spans); i += 500 {
			if err := w.Write(spans[i:min(i+500, len(spans))]); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(out, svc+".jsonl"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestDiscoverSplitTraces: with files grouped by service, a sliding
// window splits traces; no model is written from split traces unless
// --allow-split, and without --window the traces are grouped whole
// (issue 11, defect 9: a warning was printed and a wrong model written).
func TestDiscoverSplitTraces(t *testing.T) {
	in := groupedByService(t, "3000")
	dir := t.TempDir()
	out := filepath.Join(dir, "model.yaml")
	_, stderr, code := run(t, "discover", "--traces", in, "--journey", "gateway checkout", "--window", "1000", "-o", out)
	if code != ExitBadInput || !strings.Contains(stderr, "--allow-split") {
		t.Errorf("split traces: exit %d, want %d naming --allow-split:\n%s", code, ExitBadInput, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatalf("a model was written from split traces")
	}
	if _, stderr, code := run(t, "discover", "--traces", in, "--journey", "gateway checkout", "--window", "1000", "--allow-split", "-o", out); code != 0 {
		t.Errorf("--allow-split: exit %d: %s", code, stderr)
	}
	_, stderr, code = run(t, "discover", "--traces", in, "--journey", "gateway checkout", "-o", out)
	if code != 0 {
		t.Fatalf("grouped input: exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, "split") {
		t.Errorf("traces split without --window:\n%s", stderr)
	}
	if n := modelTraces(t, out); n != 3000 {
		t.Errorf("model from %d instances, want 3000", n)
	}
}
