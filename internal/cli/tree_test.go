package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteAtomicallyAndStaleness(t *testing.T) {
	dir := t.TempDir()
	v1 := fileSet{"j/a.yaml": []byte("one\ntwo\n"), "j/sub/b.yaml": []byte("b\n"), "k/c.yaml": []byte("c\n")}
	if err := writeAtomically(dir, v1); err != nil {
		t.Fatal(err)
	}
	if got := staleness(dir, v1); len(got) != 0 {
		t.Fatalf("fresh tree reported stale: %q", got)
	}
	// An extra file by hand, a changed file and a missing file.
	os.WriteFile(filepath.Join(dir, "j", "extra.yaml"), []byte("x"), 0o644)
	v2 := fileSet{"j/a.yaml": []byte("one\nTWO\n"), "j/sub/b.yaml": []byte("b\n"), "j/new.yaml": []byte("n\n"), "k/c.yaml": []byte("c\n")}
	got := strings.Join(staleness(dir, v2), "\n")
	for _, want := range []string{"stale: j/a.yaml", "- two", "+ TWO", "missing: j/new.yaml", "unexpected: j/extra.yaml"} {
		if !strings.Contains(got, want) {
			t.Errorf("staleness lacks %q:\n%s", want, got)
		}
	}
	if err := writeAtomically(dir, v2); err != nil {
		t.Fatal(err)
	}
	if got := staleness(dir, v2); len(got) != 0 {
		t.Fatalf("rewritten tree reported stale: %q", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".emac") {
			t.Errorf("staging directory left behind: %s", e.Name())
		}
	}
}

// TestWriteAtomicallyFailureLeavesTree: when the second journey directory
// cannot be swapped in, the first is rolled back and both keep their old
// contents.
func TestWriteAtomicallyFailureLeavesTree(t *testing.T) {
	dir := t.TempDir()
	v1 := fileSet{"a/x.yaml": []byte("1\n"), "b/y.yaml": []byte("1\n")}
	if err := writeAtomically(dir, v1); err != nil {
		t.Fatal(err)
	}
	rename = func(from, to string) error {
		if strings.HasSuffix(from, string(filepath.Separator)+"b") && strings.Contains(from, ".emac-stage-") {
			return os.ErrPermission
		}
		return os.Rename(from, to)
	}
	defer func() { rename = os.Rename }()
	if err := writeAtomically(dir, fileSet{"a/x.yaml": []byte("2\n"), "b/y.yaml": []byte("2\n")}); err == nil {
		t.Fatal("injected failure not reported")
	}
	if got := staleness(dir, v1); len(got) != 0 {
		t.Errorf("tree changed by a failed write: %q", got)
	}
}
