package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/limits"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/outdir"
)

// fuzzLimits are small limits, so that the fuzzer can cross them.
var fuzzLimits = limits.Limits{Nodes: 40, Depth: 6, Branches: 12, RetryAttempts: 9, LeafSamples: 20}

// FuzzLoad feeds arbitrary bytes through document splitting, strict
// decoding and resolution: no input may panic, every error must carry a
// position in the input file, and an input accepted without errors keeps
// the name rules (journey names are DNS-1123 labels that stay inside an
// output directory; components and domains follow their rules) and the
// size limits.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	more, _ := filepath.Glob("../../examples/checkout/*.yaml")
	for _, p := range append(seeds, more...) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file := File{Name: "fuzz.yaml", Data: data}
		diags := &diag.List{}
		b := &Bundle{}
		b.Parse([]File{file}, diags)
		js := b.Resolve(map[string][]byte{file.Name: data}, Options{Limits: fuzzLimits}, diags)
		for _, d := range diags.Items() {
			if d.Pos.File != "fuzz.yaml" {
				t.Fatalf("diagnostic without the file: %v", d)
			}
		}
		_ = diags.Format(map[string][]byte{"fuzz.yaml": data})
		if !diags.HasErrors() {
			for _, j := range js {
				checkAccepted(t, j)
			}
		}
	})
}

// checkAccepted asserts the invariants of a journey resolved without
// errors.
func checkAccepted(t *testing.T, j *model.Journey) {
	t.Helper()
	if !ValidJourneyName(j.Name) || !outdir.ValidPath(j.Name+"/prometheus/rules.yaml") {
		t.Fatalf("accepted journey name %q", j.Name)
	}
	for name, c := range j.Components {
		if !validIdent(name) {
			t.Fatalf("accepted component name %q", name)
		}
		for _, d := range c.AllDomains() {
			if !validDomain(d) {
				t.Fatalf("accepted domain %q", d)
			}
		}
	}
	nodes, depth := 0, 0
	var walk func(n journey.Node, d int)
	walk = func(n journey.Node, d int) {
		nodes, depth = nodes+1, max(depth, d)
		if k := len(n.Children()); k > fuzzLimits.Branches {
			t.Fatalf("accepted an operator with %d children", k)
		}
		if r, ok := n.(*journey.Retry); ok && r.Attempts > fuzzLimits.RetryAttempts {
			t.Fatalf("accepted a Retry of %d attempts", r.Attempts)
		}
		for _, c := range n.Children() {
			walk(c, d+1)
		}
	}
	if j.Root != nil {
		walk(j.Root, 1)
	}
	if nodes > fuzzLimits.Nodes || depth > fuzzLimits.Depth {
		t.Fatalf("accepted a tree of %d nodes and depth %d", nodes, depth)
	}
}
