package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records Fatalf, Skipf and Logf; Fatalf
// and Skipf end the calling goroutine as the real ones do.
type recorder struct {
	testing.TB
	fatal, skip string
	logs        []string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}

// call runs f against a fresh recorder in its own goroutine, so that
// Fatalf and Skipf can end it.
func call(f func(tb testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestFindRoot(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "a", "go.mod"), 0o755); err != nil { // a directory named go.mod does not count
		t.Fatal(err)
	}
	for _, dir := range []string{root, deep, filepath.Join(root, "a")} {
		got, err := findRoot(dir)
		if err != nil || got != root {
			t.Errorf("findRoot(%s) = %q, %v; want %q", dir, got, err, root)
		}
	}
	if got, err := findRoot(string(filepath.Separator)); err == nil {
		t.Errorf("findRoot(/) = %q, want an error", got)
	}
}

// TestRepoRoot finds this module's go.mod from the package directory.
func TestRepoRoot(t *testing.T) {
	root := RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(data), "module github.com/emac-dev/emac\n") {
		t.Errorf("%s/go.mod is not emac's:\n%s", root, data)
	}
	if wd, _ := os.Getwd(); filepath.Join(root, "internal", "testenv") != wd {
		t.Errorf("root %s is not two levels above %s", root, wd)
	}
}

func TestArtifact(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "main")
	want := filepath.Join(base, "shared", "anchors", "emac-artifact")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}

	for _, require := range []bool{false, true} {
		r := call(func(tb testing.TB) { artifact(tb, root, require) })
		msg := r.skip
		if require {
			msg = r.fatal
		}
		if msg == "" || (require && r.skip != "") || (!require && r.fatal != "") {
			t.Fatalf("absent, require=%v: fatal %q, skip %q", require, r.fatal, r.skip)
		}
		if !strings.Contains(msg, want) || !strings.Contains(msg, RequireArtifactVar) {
			t.Errorf("absent, require=%v: message %q does not name %s and %s", require, msg, want, RequireArtifactVar)
		}
	}

	if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(want, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := call(func(tb testing.TB) { artifact(tb, root, false) }); r.skip == "" {
		t.Errorf("a file in place of the artifact directory was not skipped")
	}

	if err := os.Remove(want); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(want, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, require := range []bool{false, true} {
		var got string
		r := call(func(tb testing.TB) { got = artifact(tb, root, require) })
		if got != want || r.fatal != "" || r.skip != "" {
			t.Errorf("present, require=%v: got %q (fatal %q, skip %q), want %q", require, got, r.fatal, r.skip, want)
		}
	}
}

// TestArtifactEnv checks that EMAC_REQUIRE_ARTIFACT reaches Artifact: the
// test either gets the artifact directory or is stopped by the variable's
// rule.
func TestArtifactEnv(t *testing.T) {
	for _, v := range []string{"", "0", "1"} {
		t.Setenv(RequireArtifactVar, v)
		var got string
		r := call(func(tb testing.TB) { got = Artifact(tb) })
		switch {
		case got != "":
			if fi, err := os.Stat(got); err != nil || !fi.IsDir() || filepath.Base(got) != "emac-artifact" {
				t.Errorf("%s=%q: Artifact = %q, not the artifact directory (%v)", RequireArtifactVar, v, got, err)
			}
		case v == "1" && r.fatal == "":
			t.Errorf("%s=1: absent artifact did not fail (skip %q)", RequireArtifactVar, r.skip)
		case v != "1" && r.skip == "":
			t.Errorf("%s=%q: absent artifact was not skipped (fatal %q)", RequireArtifactVar, v, r.fatal)
		}
	}
}

func TestSize(t *testing.T) {
	tests := []struct {
		env        string
		long       bool
		size, logs int
	}{
		{"", false, 10, 1},
		{"0", false, 10, 1},
		{"1", true, 100, 0},
	}
	for _, tc := range tests {
		t.Setenv(LongVar, tc.env)
		var long bool
		var size int
		r := call(func(tb testing.TB) { long, size = Long(tb), Size(tb, 100, 10) })
		if long != tc.long || size != tc.size || len(r.logs) != tc.logs || r.fatal != "" {
			t.Errorf("%s=%q: Long %v, Size %d, logs %q, fatal %q; want %v, %d, %d logs",
				LongVar, tc.env, long, size, r.logs, r.fatal, tc.long, tc.size, tc.logs)
		}
	}
	t.Setenv(LongVar, "")
	if r := call(func(tb testing.TB) { Size(tb, 7, 7) }); len(r.logs) != 0 {
		t.Errorf("Size(7, 7) logged a reduction: %q", r.logs)
	}
}

// TestBadValueFails: only 0 and 1 are accepted, so that a mistyped value
// is not read as "no" (scripts/test compares with 1 as well).
func TestBadValueFails(t *testing.T) {
	for _, name := range []string{LongVar, RequireArtifactVar} {
		for _, v := range []string{"yes", "true", "2"} {
			t.Setenv(name, v)
			r := call(func(tb testing.TB) { Long(tb); Artifact(tb) })
			if want := fmt.Sprintf("%s=%q", name, v); !strings.Contains(r.fatal, want) {
				t.Errorf("%s=%s: fatal %q, want it to name %s", name, v, r.fatal, want)
			}
		}
		t.Setenv(name, "")
	}
}
