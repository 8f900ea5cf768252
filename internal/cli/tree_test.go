package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteTreeAndStaleness(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	dir := filepath.Join(t.TempDir(), "gen")
	v1 := fileSet{"j/a.yaml": []byte("one\ntwo\n"), "j/sub/b.yaml": []byte("b\n"), "k/c.yaml": []byte("c\n")}
	if err := e.writeTree(dir, v1); err != nil {
		t.Fatal(err)
	}
	if got := staleness(dir, v1); len(got) != 0 {
		t.Fatalf("fresh tree reported stale: %q", got)
	}
	// An extra file by hand, a changed file, a missing file and a journey
	// that is no longer defined (k).
	os.WriteFile(filepath.Join(dir, "j", "extra.yaml"), []byte("x"), 0o644)
	v2 := fileSet{"j/a.yaml": []byte("one\nTWO\n"), "j/sub/b.yaml": []byte("b\n"), "j/new.yaml": []byte("n\n")}
	got := strings.Join(staleness(dir, v2), "\n")
	for _, want := range []string{"stale: j/a.yaml", "- two", "+ TWO", "missing: j/new.yaml",
		"unexpected: j/extra.yaml", "unexpected: k/ (no journey \"k\" is defined", "stale: .emac-output"} {
		if !strings.Contains(got, want) {
			t.Errorf("staleness lacks %q:\n%s", want, got)
		}
	}
	if err := e.writeTree(dir, v2); err != nil {
		t.Fatal(err)
	}
	if got := staleness(dir, v2); len(got) != 0 {
		t.Fatalf("rewritten tree reported stale: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "k")); err == nil {
		t.Errorf("journey k, no longer compiled, is still in the output")
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, en := range entries {
		if strings.Contains(en.Name(), "emac-stage") {
			t.Errorf("staging directory left behind: %s", en.Name())
		}
	}
}

// TestWriteTreeRefusesForeignDirectory: a non-empty directory that emac
// did not write is never swapped away (a mistyped -o).
func TestWriteTreeRefusesForeignDirectory(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine\n"), 0o644)
	err := e.writeTree(dir, fileSet{"j/a.yaml": []byte("a\n")})
	if err == nil || !strings.Contains(err.Error(), "was not written by emac") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "notes.txt")); string(data) != "mine\n" {
		t.Errorf("foreign file changed")
	}
}

// TestWriteTreeAcceptsLegacyOutput: a tree written before the marker
// existed (journey directories with a derivation report) is replaced.
func TestWriteTreeAcceptsLegacyOutput(t *testing.T) {
	e := &env{stderr: &bytes.Buffer{}}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "old", "report"), 0o755)
	os.WriteFile(filepath.Join(dir, "old", "report", "derivation.json"), []byte("{}"), 0o644)
	if err := e.writeTree(dir, fileSet{"j/a.yaml": []byte("a\n")}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "old")); err == nil {
		t.Errorf("legacy journey kept")
	}
}
