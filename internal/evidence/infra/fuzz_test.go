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

// maxSeed is the largest file added whole as a seed; a larger one (the
// OpenTelemetry demo's manifest) is added document by document, leaving
// out documents larger than that (its Grafana dashboards, ConfigMaps of
// up to 200 kB that the readers ignore), since every mutation of a large
// seed is slow to parse and to locate errors in.
const maxSeed = 32 << 10

// addSeeds adds every fixture under testdata as a seed, the public
// manifests under testdata/real included.
func addSeeds(f *testing.F) {
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isManifest(path) || strings.Contains(path, "golden") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if len(data) <= maxSeed {
			f.Add(data)
			return nil
		}
		chunks, _ := splitDocuments(data)
		for _, c := range chunks {
			if len(c) <= maxSeed {
				f.Add(c)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
}

// checkAttach attaches evidence that parsed to a journey made of every
// name it mentions (and an operation of each, "name.op"), with a tree
// choosing between them, and checks the attachment: no panic,
// deterministic, weights in [0, 1], every note of a kind.
func checkAttach(t *testing.T, ev Evidence) {
	var targets []Target
	var leaves []string
	for _, w := range ev.Workloads {
		for _, a := range w.Aliases {
			targets = append(targets, Target{Name: a, Good: 9, Total: 10}, Target{Name: a + ".op", Service: a})
		}
	}
	for _, r := range ev.Routes {
		targets = append(targets, Target{Name: r.Component})
		for _, d := range r.Split {
			targets = append(targets, Target{Name: d.Name()})
			leaves = append(leaves, d.Name())
		}
	}
	var root journey.Node
	if len(leaves) >= 2 {
		c := &journey.Cond{}
		for _, l := range leaves {
			c.Branches = append(c.Branches, &journey.Leaf{Name: l})
			c.Probs = append(c.Probs, journey.Prob{Lo: 1 / float64(len(leaves)), Hi: 1 / float64(len(leaves))})
		}
		root = c
	}
	j := Journey{Components: targets, Root: root}
	a1, a2 := Attach(ev, j), Attach(ev, j)
	b1, _ := json.Marshal(a1)
	b2, _ := json.Marshal(a2)
	if string(b1) != string(b2) {
		t.Fatalf("Attach is not deterministic:\n%s\n%s", b1, b2)
	}
	for _, e := range a1.Edges {
		if e.Weight < 0 || e.Weight > 1 || math.IsNaN(e.Weight) {
			t.Fatalf("edge %+v", e)
		}
	}
	for _, n := range a1.Notes {
		if n.Kind == "" || n.Message == "" {
			t.Fatalf("note %+v", n)
		}
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
		if err == nil {
			checkAttach(t, ev)
		}
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
		if err == nil {
			checkAttach(t, ev)
		}
	})
}
