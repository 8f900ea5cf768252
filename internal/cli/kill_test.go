package cli

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/testenv"
)

// killJourneys returns how many journeys each side of the kill test
// compiles: 100 as the tester had under EMAC_LONG=1 (testenv.Long), 12
// otherwise (the swap is one rename whatever their number; fewer keep the
// default suite short).
func killJourneys(t *testing.T) int {
	t.Helper()
	if testenv.Long(t) {
		return 100
	}
	return 12
}

// killSpecs writes killJourneys small journeys into a new directory; the
// version changes every journey's target and the set of journeys (one
// journey exists only in each version), so the two trees differ
// everywhere.
func killSpecs(t *testing.T, version int) string {
	t.Helper()
	dir := t.TempDir()
	n := killJourneys(t)
	for i := range n {
		name := fmt.Sprintf("j%03d", i)
		if i == n-1 {
			name = fmt.Sprintf("only-v%d", version)
		}
		spec := fmt.Sprintf(`apiVersion: emac.dev/v1alpha1
kind: JourneyIntent
metadata: {name: %s}
spec:
  objectives: {availability: {target: 0.99%d, window: 30d}}
  expr: "Series(front, Race(paya, payb))"
  components:
    front: {availability: 0.999, telemetry: {good: 'sum(rate(ok{c="front"}[5m]))', total: 'sum(rate(all{c="front"}[5m]))'}}
    paya: {availability: 0.99, failureDomains: [net], telemetry: {good: 'sum(rate(ok{c="a"}[5m]))', total: 'sum(rate(all{c="a"}[5m]))'}}
    payb: {availability: 0.98, failureDomains: [net], telemetry: {good: 'sum(rate(ok{c="b"}[5m]))', total: 'sum(rate(all{c="b"}[5m]))'}}
`, name, version)
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(spec), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// buildEmac builds the emac binary once for the test.
func buildEmac(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "emac")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/emac").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestCompileSurvivesKill kills compile 50 times at random instants —
// 40 uniformly over a compile's duration, 10 at the instants just before
// and just after the swap (test hooks) — and checks after each kill that
// the output directory is byte for byte the old tree or the new one. A
// final compile leaves no staging directory behind.
func TestCompileSurvivesKill(t *testing.T) {
	bin := buildEmac(t)
	specs := []string{killSpecs(t, 1), killSpecs(t, 2)}
	want := make([]map[string][]byte, 2)
	for i, s := range specs {
		ref := filepath.Join(t.TempDir(), "ref")
		compileWith(t, bin, s, ref, "")
		want[i] = readTree(t, ref)
	}
	base := t.TempDir()
	out := filepath.Join(base, "gen")
	start := time.Now()
	compileWith(t, bin, specs[0], out, "")
	took := time.Since(start)
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := map[string]int{}
	for i := range 50 {
		src := specs[(i+1)%2]
		kind := "random"
		if i%5 == 4 {
			kind = []string{"staged", "swapped"}[i/5%2]
		}
		killCompile(t, bin, src, out, kind, time.Duration(rng.Float64()*1.2*float64(took)))
		kinds[kind]++
		got := readTree(t, out)
		if !sameTree(got, want[0]) && !sameTree(got, want[1]) {
			t.Fatalf("kill %d (%s): the output is neither the old nor the new tree (%d files)", i, kind, len(got))
		}
	}
	compileWith(t, bin, specs[1], out, "")
	if got := readTree(t, out); !sameTree(got, want[1]) {
		t.Fatalf("final compile: wrong tree")
	}
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		if e.Name() != "gen" && e.Name() != ".gen.emac-lock" {
			t.Errorf("left beside the output after the final compile: %s", e.Name())
		}
	}
	t.Logf("one compile of %d journeys: %v; kills: %v", killJourneys(t), took, kinds)
}

// compileWith runs the binary to completion.
func compileWith(t *testing.T, bin, src, out, pause string) {
	t.Helper()
	cmd := exec.Command(bin, "compile", src, "-o", out)
	cmd.Env = append(os.Environ(), "EMAC_TEST_PAUSE="+pause)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("compile %s: %v\n%s", src, err, b)
	}
}

// killCompile starts a compile and SIGKILLs it after delay, or (kind
// "staged"/"swapped") as soon as it reports the pause at that hook.
func killCompile(t *testing.T, bin, src, out, kind string, delay time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, "compile", src, "-o", out)
	cmd.Env = os.Environ()
	if kind != "random" {
		cmd.Env = append(cmd.Env, "EMAC_TEST_PAUSE="+kind)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	paused := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "emac-test: paused at "+kind) {
				paused <- true
			}
		}
		close(paused)
	}()
	if kind == "random" {
		time.Sleep(delay)
	} else if !<-paused {
		t.Fatalf("compile never paused at %s", kind)
	}
	cmd.Process.Kill()
	cmd.Wait()
}

// sameTree reports whether two trees hold the same files byte for byte.
func sameTree(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, data := range a {
		if other, ok := b[p]; !ok || string(other) != string(data) {
			return false
		}
	}
	return true
}

// TestConcurrentCompiles: eight compiles into one directory at once all
// succeed (they take turns), and one whole tree is left.
func TestConcurrentCompiles(t *testing.T) {
	bin := buildEmac(t)
	specs := []string{killSpecs(t, 1), killSpecs(t, 2)}
	out := filepath.Join(t.TempDir(), "gen")
	var wg sync.WaitGroup
	errs := make([]string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if b, err := exec.Command(bin, "compile", specs[i%2], "-o", out).CombinedOutput(); err != nil {
				errs[i] = fmt.Sprintf("compile %d: %v\n%s", i, err, b)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	got := readTree(t, out)
	ok := false
	for _, s := range specs {
		ref := filepath.Join(t.TempDir(), "ref")
		compileWith(t, bin, s, ref, "")
		ok = ok || sameTree(got, readTree(t, ref))
	}
	if !ok {
		t.Errorf("the output is not one whole tree")
	}
}
