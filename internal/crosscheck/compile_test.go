package crosscheck

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/gen/prom"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/testenv"
)

// TestEngineJourneysCompile (issue 10) compiles every journey of
// TestEngineRandomJourneys (same seed, so the same journeys), each of its
// components with live telemetry, and runs the generated rules through
// promtool: `promtool check rules` on every rule file, then `promtool
// test rules` on unit tests that feed each leaf counters growing at its
// availability and expect the journey SLIs eval computed — A+ and A−
// within prom.Tolerance (1e-9) for every window, or, where the rules
// carry a documented sound lower bound (a note), that bound, which must
// not exceed A−. No journey may fail to compile.
func TestEngineJourneysCompile(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Fatal("promtool is not installed: apt-get install prometheus (scripts/test does)")
	}
	// 25 journeys (about half a minute of promtool) in the default run.
	journeys := testenv.Size(t, 200, 25)
	r := rand.New(rand.NewPCG(10, 10))
	dir := t.TempDir()
	var ruleFiles, testFiles []string
	lowerBounds := 0
	for i := range journeys {
		j := engineJourney(r)
		j.Name = fmt.Sprintf("engine-%d", i)
		rules, tests, notes, err := compileJourney(j)
		if err != nil {
			t.Errorf("journey %d %s: %v", i, j.Root, err)
			continue
		}
		if len(notes) > 0 {
			lowerBounds++
		}
		rf, tf := fmt.Sprintf("rules-%d.yaml", i), fmt.Sprintf("rules-%d_test.yaml", i)
		writeFile(t, filepath.Join(dir, rf), rules)
		writeFile(t, filepath.Join(dir, tf), tests)
		ruleFiles, testFiles = append(ruleFiles, rf), append(testFiles, tf)
	}
	runPromtool(t, promtool, dir, append([]string{"check", "rules"}, ruleFiles...))
	// In chunks, so that a failure names few files, one per core at a
	// time.
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for lo := 0; lo < len(testFiles); lo += 20 {
		chunk := testFiles[lo:min(lo+20, len(testFiles))]
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			runPromtool(t, promtool, dir, append([]string{"test", "rules"}, chunk...))
		})
	}
	wg.Wait()
	t.Logf("%d journeys compiled and reproduced by promtool within %g (%d with a documented lower bound)",
		len(testFiles), prom.Tolerance, lowerBounds)
}

// compileJourney generates j's rules, with every component's telemetry a
// pair of counters, and the promtool tests expecting eval's values.
func compileJourney(j *model.Journey) (rules, tests []byte, notes []prom.Note, err error) {
	avail, late, err := compute.AvailabilityWithLate(j)
	if err != nil {
		return nil, nil, nil, err
	}
	in := prom.Input{Journey: j, Availability: avail, Late: late}
	sc := prom.Scenario{Name: j.Name, Ratios: map[string]float64{},
		Optimistic: avail.Optimistic, Pessimistic: avail.Pessimistic}
	for _, n := range j.ComponentNames() {
		sel := `{component="` + n + `"}[5m]))`
		in.Leaves = append(in.Leaves, prom.Leaf{Name: n, MissingData: "ignore",
			GoodQuery: `sum(rate(emac_good_total` + sel, TotalQuery: `sum(rate(emac_requests_total` + sel})
		sc.Ratios[n] = j.Components[n].Availability.Point
	}
	groups, notes, err := prom.Rules(in)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("rules: %w", err)
	}
	if rules, err = prom.Marshal(version, groups...); err != nil {
		return nil, nil, nil, err
	}
	tgs, err := prom.Tests(in, sc)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("tests: %w", err)
	}
	tests, err = prom.MarshalTests(version, prom.TestRules("rules"+strings.TrimPrefix(j.Name, "engine")+".yaml", j.Name, tgs...))
	return rules, tests, notes, err
}

const version = "v0.0.0-test"

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func runPromtool(t *testing.T, promtool, dir string, args []string) {
	t.Helper()
	cmd := exec.Command(promtool, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool %s %s …: %v\n%s", args[0], args[1], err, tail(string(out), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
