package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompileDeterministicAndCheck compiles the example and the reference
// artifact twice, byte-compares the trees, and runs check against them.
func TestCompileDeterministicAndCheck(t *testing.T) {
	for _, c := range []struct{ name, src string }{
		{"example", "../../examples/checkout"},
		{"artifact", artifactSrc},
		{"paper", "testdata/paper"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := source(t, c.src)
			a, b := t.TempDir(), t.TempDir()
			for _, dir := range []string{a, b} {
				if _, stderr, code := run(t, "compile", src, "-o", dir); code != 0 {
					t.Fatalf("compile %s: exit %d\n%s", src, code, stderr)
				}
			}
			fa, fb := readTree(t, a), readTree(t, b)
			if len(fa) < 3 {
				t.Fatalf("%s: only %d files generated", src, len(fa))
			}
			for p, data := range fa {
				if string(fb[p]) != string(data) {
					t.Errorf("%s: %s differs between two compiles", src, p)
				}
				if !strings.Contains(string(data[:min(len(data), 200)]), "DO NOT EDIT") && !strings.HasSuffix(p, ".json") {
					t.Errorf("%s: %s lacks the DO NOT EDIT header", src, p)
				}
			}
			out, _, code := run(t, "check", src, "--generated", a)
			if strings.Contains(out, "stale") || strings.Contains(out, "missing") {
				t.Errorf("%s: fresh output reported stale:\n%s", src, out)
			}
			if code != 1 { // every one of these journeys FAILs its availability objective
				t.Errorf("%s: check exit %d, want 1 for a FAIL verdict", src, code)
			}
		})
	}
}

func TestCheckReportsStaleOutput(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, code := run(t, "compile", "testdata/paper", "-o", dir); code != 0 {
		t.Fatalf("compile: %s", stderr)
	}
	md := filepath.Join(dir, "paper-checkout", "report", "derivation.md")
	os.WriteFile(md, []byte("edited by hand\n"), 0o644)
	out, stderr, code := run(t, "check", "testdata/paper", "--generated", dir)
	if code != 1 || !strings.Contains(out, "stale: paper-checkout/report/derivation.md") || !strings.Contains(stderr, "out of date") {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}

func TestCompileBadInputWritesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	_, _, code := run(t, "compile", "../spec/testdata/many-errors.bad.yaml", "-o", dir)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("output directory created despite errors")
	}
	if _, _, code := run(t, "compile", "testdata/paper"); code != 2 {
		t.Errorf("compile without -o: exit %d, want 2", code)
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			data, _ := os.ReadFile(p)
			out[rel] = data
		}
		return err
	})
	return out
}

// TestCompiledRulesPassPromtool runs promtool check rules and promtool test
// rules on what compile writes for the example, the reference artifact and
// the end-to-end journey (whose burn windows of 1m and 30s need synthetic
// samples closer than a minute).
func TestCompiledRulesPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool not found: install Debian's prometheus package (.ci/run does)")
	}
	for _, c := range []struct{ name, src, journey string }{
		{"example", "../../examples/checkout", "checkout"},
		{"artifact", artifactSrc, "checkout"},
		{"e2e", "../e2e/testdata/journey.yaml", "e2e"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := source(t, c.src)
			dir := t.TempDir()
			if _, stderr, code := run(t, "compile", src, "-o", dir); code != 0 {
				t.Fatalf("compile %s: %s", src, stderr)
			}
			pdir := filepath.Join(dir, c.journey, "prometheus")
			for _, args := range [][]string{{"check", "rules", "rules.yaml"}, {"test", "rules", "rules_test.yaml"}} {
				cmd := exec.Command(promtool, args...)
				cmd.Dir = pdir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("%s: promtool %v: %v\n%s", src, args, err, out)
				}
			}
		})
	}
}
