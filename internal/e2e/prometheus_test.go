package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/cli"
	"github.com/emac-dev/emac/internal/compute"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/gen/prom"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/spec"
)

const (
	journeyName = "e2e"
	specPath    = "testdata/journey.yaml"
	// perTick is the number of requests each component serves per tick of
	// the simulated workload; a leaf's good count per tick is an exact
	// integer, so every rate ratio Prometheus computes is exact up to
	// floating-point rounding.
	perTick = 1000
	tick    = time.Second
	// tol is the allowed difference between Prometheus's SLIs and the Go
	// compiler's bounds.
	tol = 1e-9
)

// healthy and degraded are the good requests per tick of each leaf.
var (
	healthy  = map[string]int{"front": 999, "paya": 990, "payb": 980}
	degraded = map[string]int{"front": 999, "paya": 500, "payb": 500}
)

// workload simulates a fixed request rate: on every tick each component
// serves perTick requests, good[c] of them successfully. Counters are
// derived from elapsed ticks when scraped, so they grow with time whatever
// the scrape timing.
type workload struct {
	mu         sync.Mutex
	start      time.Time
	ticks      int64
	good       map[string]int
	ok, failed map[string]int64
}

func newWorkload(good map[string]int) *workload {
	return &workload{start: time.Now(), good: good, ok: map[string]int64{}, failed: map[string]int64{}}
}

// advance books the ticks elapsed since the last call at the current
// success counts; the caller holds mu.
func (w *workload) advance() {
	now := int64(time.Since(w.start) / tick)
	if d := now - w.ticks; d > 0 {
		for c, g := range w.good {
			w.ok[c] += d * int64(g)
			w.failed[c] += d * int64(perTick-g)
		}
		w.ticks = now
	}
}

// set switches the success counts from the current tick on.
func (w *workload) set(good map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.advance()
	w.good = good
}

func (w *workload) ServeHTTP(rw http.ResponseWriter, _ *http.Request) {
	w.mu.Lock()
	w.advance()
	var b bytes.Buffer
	b.WriteString("# HELP emac_e2e_requests_total Requests served by the simulated e2e workload.\n")
	b.WriteString("# TYPE emac_e2e_requests_total counter\n")
	names := make([]string, 0, len(w.good))
	for c := range w.good {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		fmt.Fprintf(&b, "emac_e2e_requests_total{component=%q,result=\"ok\"} %d\n", c, w.ok[c])
		fmt.Fprintf(&b, "emac_e2e_requests_total{component=%q,result=\"error\"} %d\n", c, w.failed[c])
	}
	w.mu.Unlock()
	rw.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = rw.Write(b.Bytes())
}

// TestPrometheusEndToEnd compiles testdata/journey.yaml, runs the real
// Prometheus on the generated rules against a synthetic workload, checks
// that the live journey SLIs equal compute.Evaluate's bounds at the served
// leaf ratios, then degrades the payment providers (one failure domain) and
// waits for the page burn alert.
func TestPrometheusEndToEnd(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatalf("prometheus is not on PATH: install Debian's prometheus package (apt-get install -y --no-install-recommends prometheus): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
	defer cancel()

	// 1. Compile the journey in-process.
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := cli.Run(ctx, []string{"compile", specPath, "-o", out}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("emac compile exited %d:\n%s%s", code, stdout.String(), stderr.String())
	}
	rules := filepath.Join(out, journeyName, "prometheus", "rules.yaml")
	if _, err := os.Stat(rules); err != nil {
		t.Fatalf("compile wrote no rule file: %v", err)
	}

	// The compiler's bounds at the served leaf ratios.
	want := expected(t, healthy)

	// 2. The synthetic scrape target.
	wl := newWorkload(healthy)
	target := httptest.NewServer(wl) // listens on 127.0.0.1
	t.Cleanup(target.Close)

	// 3. Prometheus.
	base := startPrometheus(ctx, t, bin, rules, target.Listener.Addr().String())

	// Leaf SLIs first: a wrong leaf would make every journey comparison
	// meaningless.
	for _, c := range []string{"front", "paya", "payb"} {
		q := fmt.Sprintf(`%s{journey=%q,component=%q}`, prom.LeafRecord("5m"), journeyName, c)
		got := pollValue(ctx, t, base, q, 60*time.Second)
		wantLeaf := float64(healthy[c]) / perTick
		t.Logf("leaf %-5s  prometheus %.12f  served %.12f  diff %.3g", c, got, wantLeaf, got-wantLeaf)
		if math.Abs(got-wantLeaf) > tol {
			t.Errorf("leaf %s: Prometheus ratio %.12f, served %.12f", c, got, wantLeaf)
		}
	}
	for _, b := range []struct {
		name   string
		record string
		want   float64
	}{
		{"optimistic", prom.OptimisticRecord("5m"), want.Optimistic},
		{"pessimistic", prom.PessimisticRecord("5m"), want.Pessimistic},
	} {
		q := fmt.Sprintf(`%s{journey=%q}`, b.record, journeyName)
		got := pollValue(ctx, t, base, q, 20*time.Second)
		t.Logf("journey %-11s  prometheus %.12f  compiler %.12f  diff %.3g", b.name, got, b.want, got-b.want)
		if math.Abs(got-b.want) > tol {
			t.Errorf("journey %s SLI: Prometheus %.12f, compiler %.12f (diff %.3g)", b.name, got, b.want, got-b.want)
		}
	}
	// Healthy: the burn rate is below the policy's 2×, so no page.
	if a := pageAlert(ctx, t, base); a != "" {
		t.Errorf("page alert is %s while the journey is healthy", a)
	}

	// 4. Degrade the payment network: both providers fail half the time.
	wl.set(degraded)
	wantDeg := expected(t, degraded)
	t.Logf("degraded: compiler pessimistic %.6f, burn %.1f× (page at 2×)", wantDeg.Pessimistic, (1-wantDeg.Pessimistic)/(1-0.99))
	deadline := time.Now().Add(30 * time.Second)
	degradedAt := time.Now()
	for {
		if a := pageAlert(ctx, t, base); a == "firing" {
			t.Logf("%s{severity=page} firing %.1fs after the degradation", prom.AlertBurn, time.Since(degradedAt).Seconds())
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("%s{severity=page} did not fire within 30 s of the degradation", prom.AlertBurn)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Once the shortest window holds only degraded samples, its SLIs must
	// equal the compiler's bounds at the degraded ratios; here A+ and A−
	// differ widely (the shared domain), so both sides of the algebra are
	// checked.
	for _, b := range []struct {
		name   string
		record string
		want   float64
	}{
		{"optimistic", prom.OptimisticRecord("30s"), wantDeg.Optimistic},
		{"pessimistic", prom.PessimisticRecord("30s"), wantDeg.Pessimistic},
	} {
		q := fmt.Sprintf(`%s{journey=%q}`, b.record, journeyName)
		got := pollUntil(ctx, t, base, q, b.want, 50*time.Second)
		t.Logf("degraded journey %-11s [30s]  prometheus %.12f  compiler %.12f  diff %.3g", b.name, got, b.want, got-b.want)
	}
}

// pollUntil queries q until its value is within tol of want, and returns
// the last value; it fails after within.
func pollUntil(ctx context.Context, t *testing.T, base, q string, want float64, within time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := pollValue(ctx, t, base, q, within)
		if math.Abs(got-want) <= tol {
			return got
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("query %s: %.12f, want %.12f (diff %.3g) after %s", q, got, want, got-want, within)
		}
		time.Sleep(time.Second)
	}
}

// expected resolves the journey spec and evaluates it with every live
// leaf's availability (point and lower) set to its served ratio, as the
// generated rules do.
func expected(t *testing.T, good map[string]int) compute.AvailabilityResult {
	t.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	diags := &diag.List{}
	b := &spec.Bundle{}
	b.Parse([]spec.File{{Name: specPath, Data: data}}, diags)
	js := b.Resolve(map[string][]byte{specPath: data}, spec.Options{}, diags)
	if diags.HasErrors() || len(js) != 1 {
		t.Fatalf("resolving %s: %d journeys, diagnostics: %v", specPath, len(js), diags)
	}
	j := js[0]
	for n, c := range j.Components {
		g, ok := good[n]
		if !ok {
			t.Fatalf("no served ratio for component %s", n)
		}
		r := float64(g) / perTick
		c.Availability = model.Availability{Point: r, Lower: r, Source: "e2e"}
	}
	ev, err := compute.Evaluate(j)
	if err != nil {
		t.Fatal(err)
	}
	return ev.Availability
}

// startPrometheus runs prometheus on a free 127.0.0.1 port with the rule
// file and the scrape target, waits until it is ready and returns its base
// URL. The process is killed at cleanup.
func startPrometheus(ctx context.Context, t *testing.T, bin, rules, target string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - %q
scrape_configs:
  - job_name: emac-e2e
    static_configs:
      - targets: [%q]
`, rules, target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	var logs syncBuffer
	cmd := exec.CommandContext(ctx, bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("prometheus not ready within 30 s; log:\n%s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// pollValue queries q until it returns one sample, and returns its value.
func pollValue(ctx context.Context, t *testing.T, base, q string, within time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var r struct {
			Status string `json:"status"`
			Data   struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		getJSON(t, base+"/api/v1/query?query="+url.QueryEscape(q), &r)
		if r.Status == "success" && len(r.Data.Result) == 1 {
			s, _ := r.Data.Result[0].Value[1].(string)
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatalf("query %s: value %v: %v", q, r.Data.Result[0].Value, err)
			}
			return v
		}
		if len(r.Data.Result) > 1 {
			t.Fatalf("query %s: %d series, want 1", q, len(r.Data.Result))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("query %s: no result within %s", q, within)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// pageAlert returns the state of EmacJourneyErrorBudgetBurn{severity=page}
// for the journey, "" when it is not active.
func pageAlert(ctx context.Context, t *testing.T, base string) string {
	t.Helper()
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	getJSON(t, base+"/api/v1/alerts", &r)
	for _, a := range r.Data.Alerts {
		l := a.Labels
		if l["alertname"] == prom.AlertBurn && l["severity"] == "page" && l["journey"] == journeyName {
			return a.State
		}
	}
	return ""
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", u, err, body)
	}
}

// syncBuffer is a bytes.Buffer safe for the process's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
