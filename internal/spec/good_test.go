package spec

import (
	"os"
	"path/filepath"
	"testing"
)

// TestGoodFixtures loads every testdata/*.good.yaml without errors and
// checks that all its journeys have the same canonical expression.
func TestGoodFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.good.yaml")
	if len(paths) == 0 {
		t.Fatal("no good fixtures")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			js, diags := load(File{Name: p, Data: data})
			if diags.HasErrors() {
				t.Fatalf("unexpected errors:\n%s", diags.Format(map[string][]byte{p: data}))
			}
			for _, j := range js[1:] {
				if got, want := j.Root.String(), js[0].Root.String(); got != want {
					t.Errorf("journey %s: %s\nwant (journey %s): %s", j.Name, got, js[0].Name, want)
				}
			}
		})
	}
}
