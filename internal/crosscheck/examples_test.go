package crosscheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/spec"
)

// loadDir reads every YAML file under dir the way the CLI does.
func loadDir(t *testing.T, paths ...string) []*model.Journey {
	t.Helper()
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
			t.Fatal(err)
		}
	}
	diags := &diag.List{}
	b := &spec.Bundle{}
	b.Parse(files, diags)
	js := b.Resolve(sources, spec.Options{ReadFile: os.ReadFile}, diags)
	if diags.HasErrors() {
		t.Fatalf("loading %v:\n%s", paths, diags.Format(sources))
	}
	return js
}

// TestExamplesMatchSimulation runs the latency cross-check on every bundled
// example and fixture journey with latency evidence.
func TestExamplesMatchSimulation(t *testing.T) {
	samples := 1_000_000
	if testing.Short() {
		samples = 200_000
	}
	acc := newAccuracy()
	js := loadDir(t, "../../examples", "../spec/testdata/all-operators.good.yaml")
	for _, j := range js {
		if j.Objective.Latency == nil {
			j.Objective.Latency = &model.LatencyObjective{Quantile: 0.99, ThresholdSeconds: 1}
		}
		if !hasLatency(j) {
			continue
		}
		if !checkJourney(t, j.Name, j, samples, samples/5, acc) {
			t.Errorf("%s: mostly failing journey", j.Name)
		}
	}
	acc.report(t)
	if len(acc.errs[0.99]) < 3 {
		t.Errorf("only %d example journeys checked", len(acc.errs[0.99]))
	}
}

func hasLatency(j *model.Journey) bool {
	for _, c := range j.Components {
		if c.Latency != nil {
			return true
		}
	}
	return false
}
