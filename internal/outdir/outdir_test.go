package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

const marker = ".mark"

func tree(content string, names ...string) map[string][]byte {
	fs := map[string][]byte{marker: []byte("m\n")}
	for _, n := range names {
		fs[n] = []byte(content + " " + n + "\n")
	}
	return fs
}

func read(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)], err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func equal(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || string(w) != string(v) {
			return false
		}
	}
	return true
}

func TestReplace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "gen")
	for i, fs := range []map[string][]byte{tree("v1", "x/1", "y/2"), tree("v2", "x/1", "z/3/4"), tree("v3")} {
		if err := Replace(dir, fs, Options{Marker: marker}); err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if got := read(t, dir); !equal(got, fs) {
			t.Fatalf("run %d: tree %v, want %v", i, got, fs)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	for _, e := range entries {
		if e.Name() != "gen" && e.Name() != ".gen.emac-lock" {
			t.Errorf("left beside the output: %s", e.Name())
		}
	}
}

func TestReplaceRefusesPathsOutside(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "gen")
	for _, p := range []string{"../escaped", "../../x", "..", "/tmp/x", "a/../../b", "a/./b", "a//b", "./a", "a/", "", `a\..\b`, "a\x00b"} {
		fs := tree("v")
		fs[p] = []byte("bad\n")
		if err := Replace(dir, fs, Options{Marker: marker}); err == nil {
			t.Errorf("path %q accepted", p)
		}
	}
	entries, _ := os.ReadDir(base)
	if len(entries) != 0 {
		t.Errorf("refused writes left %d entries in %s", len(entries), base)
	}
}

func TestValidPath(t *testing.T) {
	for p, want := range map[string]bool{
		"checkout/prometheus/rules.yaml": true, ".emac-output": true, "a": true,
		"..": false, "../a": false, "a/..": false, "/a": false, "a/b/": false, "": false,
	} {
		if got := ValidPath(p); got != want {
			t.Errorf("ValidPath(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestReplaceRefusesForeignAndRoot(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "README"), []byte("mine"), 0o644)
	if err := Replace(dir, tree("v"), Options{Marker: marker}); err == nil || !strings.Contains(err.Error(), "not written by emac") {
		t.Errorf("foreign directory: err = %v", err)
	}
	if err := Replace("/", tree("v"), Options{Marker: marker}); err == nil {
		t.Errorf("root directory accepted")
	}
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, nil, 0o644)
	if err := Replace(file, tree("v"), Options{Marker: marker}); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("regular file as output: err = %v", err)
	}
}

// TestReplaceThroughSymlink: -o naming a symbolic link replaces the
// directory it points to and keeps the link.
func TestReplaceThroughSymlink(t *testing.T) {
	base := t.TempDir()
	real := filepath.Join(base, "real")
	link := filepath.Join(base, "link")
	if err := Replace(real, tree("v1", "a"), Options{Marker: marker}); err != nil {
		t.Fatal(err)
	}
	os.Symlink(real, link)
	if err := Replace(link, tree("v2", "b"), Options{Marker: marker}); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("link replaced by a directory")
	}
	if got := read(t, real); !equal(got, tree("v2", "b")) {
		t.Errorf("target holds %v", got)
	}
}

// TestReplaceRemovesStaleStages: staging directories of killed runs go.
func TestReplaceRemovesStaleStages(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "gen")
	stale := filepath.Join(base, ".gen.emac-stage-123")
	os.MkdirAll(filepath.Join(stale, "j"), 0o755)
	os.WriteFile(filepath.Join(stale, "j", "big"), make([]byte, 1<<16), 0o644)
	other := filepath.Join(base, ".other.emac-stage-1") // another output's stage
	os.MkdirAll(other, 0o755)
	if err := Replace(dir, tree("v"), Options{Marker: marker}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("stale staging directory kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("another directory's stage removed")
	}
}

// TestReplaceConcurrent: writers of one directory take turns; each ends
// with one whole tree in place.
func TestReplaceConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gen")
	trees := []map[string][]byte{tree("a", "j1/x", "j2/y"), tree("b", "j1/x", "j3/z")}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Replace(dir, trees[i%2], Options{Marker: marker})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := read(t, dir); !equal(got, trees[0]) && !equal(got, trees[1]) {
		t.Errorf("mixed tree: %v", got)
	}
}

// TestReplaceHooks: the old tree stays in place until the swap.
func TestReplaceHooks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gen")
	v1, v2 := tree("v1", "a"), tree("v2", "b")
	if err := Replace(dir, v1, Options{Marker: marker}); err != nil {
		t.Fatal(err)
	}
	var seen []string
	hook := func(p string) {
		seen = append(seen, p)
		want := v1
		if p == "swapped" {
			want = v2
		}
		if got := read(t, dir); !equal(got, want) {
			t.Errorf("at %s: tree %v", p, got)
		}
	}
	if err := Replace(dir, v2, Options{Marker: marker, Hook: hook}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(seen, ",") != "staged,swapped" {
		t.Errorf("hooks %v", seen)
	}
}
