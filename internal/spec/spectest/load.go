// Package spectest loads journeys from YAML files for tests, the way the
// command line reads a PATH: every *.yaml file under each path, parsed and
// resolved together, samplesFile references read from disk.
package spectest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/spec"
)

// Load returns the journeys under paths; any diagnostic error fails tb.
func Load(tb testing.TB, paths ...string) []*model.Journey {
	tb.Helper()
	var files []spec.File
	sources := map[string][]byte{}
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || filepath.Ext(path) != ".yaml" {
				return err
			}
			data, err := os.ReadFile(path)
			files = append(files, spec.File{Name: path, Data: data})
			sources[path] = data
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	diags := &diag.List{}
	b := &spec.Bundle{}
	b.Parse(files, diags)
	js := b.Resolve(sources, spec.Options{ReadFile: os.ReadFile}, diags)
	if diags.HasErrors() {
		tb.Fatalf("loading %v:\n%s", paths, diags.Format(sources))
	}
	return js
}

// LoadOne returns the only journey under paths.
func LoadOne(tb testing.TB, paths ...string) *model.Journey {
	tb.Helper()
	js := Load(tb, paths...)
	if len(js) != 1 {
		tb.Fatalf("loading %v: %d journeys, want 1", paths, len(js))
	}
	return js[0]
}
