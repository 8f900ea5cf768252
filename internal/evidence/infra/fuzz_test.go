package infra

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
)

// addSeeds adds every fixture under testdata as a seed.
func addSeeds(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isManifest(path) || strings.Contains(path, "golden") {
			return err
		}
		data, err := os.ReadFile(path)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
}

var positioned = regexp.MustCompile(`^in\.yaml:\d+:\d+: `)

// checkResult checks the reader's contract on any input: no panic (the
// fuzzer's job), positioned errors, and sane, deterministic evidence. (The
// fuzz targets check the file bound first, with fuzzLoad.)
func checkResult(t *testing.T, ev Evidence, err error, again func() (Evidence, error)) {
	if err != nil {
		var perr *Error
		if !errors.As(err, &perr) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		for _, line := range strings.Split(err.Error(), "\n") {
			if !positioned.MatchString(line) {
				t.Fatalf("error without a file:line:col position: %q", line)
			}
		}
		return
	}
	for _, d := range ev.Domains {
		if d.Confidence <= 0 || d.Confidence > 1 || len(d.Members) == 0 {
			t.Fatalf("domain %s: confidence %v, %d members", d.Name, d.Confidence, len(d.Members))
		}
	}
	for _, r := range ev.Routes {
		checkRoute(t, r)
	}
	ev2, err2 := again()
	b1, _ := json.Marshal(ev)
	b2, _ := json.Marshal(ev2)
	if err2 != nil || string(b1) != string(b2) {
		t.Fatalf("not deterministic:\n%s\n%s (%v)", b1, b2, err2)
	}
}

func checkRoute(t *testing.T, r Route) {
	sum := 0.0
	for _, d := range r.Split {
		if d.Weight < 0 || math.IsNaN(d.Weight) {
			t.Fatalf("route %s: weight %v", r.Host, d.Weight)
		}
		sum += d.Weight
	}
	if len(r.Split) > 0 && math.Abs(sum-1) > 1e-9 {
		t.Fatalf("route %s: weights sum to %v", r.Host, sum)
	}
	n := r.Node()
	if n == nil {
		return
	}
	components := map[string]bool{}
	for _, l := range journey.Leaves(n) {
		components[l] = true
	}
	if errs := journey.Validate(n, components, nil); errs.HasErrors() {
		t.Fatalf("route %s: %s does not validate: %v", r.Host, n, errs.Err())
	}
}

func FuzzParseKubernetes(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file := fuzzLoad(t, data)
		parse := func() (Evidence, error) {
			return ParseKubernetes([]File{file}, KubeOptions{Cluster: "c"})
		}
		ev, err := parse()
		checkResult(t, ev, err, parse)
	})
}

func FuzzParseMesh(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		file := fuzzLoad(t, data)
		parse := func() (Evidence, error) {
			return ParseMesh([]File{file})
		}
		ev, err := parse()
		checkResult(t, ev, err, parse)
	})
}
