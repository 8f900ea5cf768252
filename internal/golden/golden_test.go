package golden

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFirstDiff(t *testing.T) {
	for _, c := range []struct{ want, got, diff string }{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\n", "a\nc\n", "line 2:\nwant: b\n got: c"},
		{"a\n", "a\nb\n", "line 2:\nwant: \n got: b"},
	} {
		if d := FirstDiff(c.want, c.got); d != c.diff {
			t.Errorf("FirstDiff(%q, %q) = %q, want %q", c.want, c.got, d, c.diff)
		}
	}
}

func TestCheckWritesThenCompares(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "g.txt")
	Check(t, path, []byte("x\n"), true)
	if data, err := os.ReadFile(path); err != nil || string(data) != "x\n" {
		t.Fatalf("update wrote %q, %v", data, err)
	}
	Check(t, path, []byte("x\n"), false)
	r := &recorder{TB: t}
	Check(r, path, []byte("y\n"), false)
	if !r.failed {
		t.Error("a different output passed the golden check")
	}
}

// recorder notes a failure instead of failing the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Errorf(string, ...any) { r.failed = true }
