package outdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReplace writes trees with arbitrary paths (NUL-separated in the
// input) and asserts the writer's invariant: either Replace refuses, or
// every path lands inside the output directory and nothing but the lock
// file appears beside it; a refused write changes nothing.
func FuzzReplace(f *testing.F) {
	for _, s := range []string{"checkout/prometheus/rules.yaml", "a\x00b/c", "../x", "a/../../b", "/etc/x", "a//b\x00a",
		"..\x00.", "a\\..\\b", "x/.emac-output", "a\x00a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, paths string) {
		base := t.TempDir()
		dir := filepath.Join(base, "out", "gen")
		files := map[string][]byte{marker: []byte("m")}
		for _, p := range strings.Split(paths, "\x00") {
			files[p] = []byte(p)
		}
		err := Replace(dir, files, Options{Marker: marker})
		var seen []string
		filepath.WalkDir(base, func(p string, d os.DirEntry, werr error) error {
			rel, _ := filepath.Rel(base, p)
			seen = append(seen, rel)
			if werr == nil && rel != "." && rel != "out" && rel != filepath.Join("out", ".gen.emac-lock") &&
				rel != filepath.Join("out", "gen") && !strings.HasPrefix(rel, filepath.Join("out", "gen")+string(filepath.Separator)) {
				t.Fatalf("%q: written outside the output directory: %s", paths, rel)
			}
			return nil
		})
		if err != nil {
			if _, serr := os.Stat(dir); serr == nil {
				t.Fatalf("%q: refused (%v) but the directory was created", paths, err)
			}
			return
		}
		for p, data := range files {
			got, rerr := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
			if rerr != nil || string(got) != string(data) {
				t.Fatalf("%q: %s not written (%v)", paths, p, rerr)
			}
		}
	})
}
