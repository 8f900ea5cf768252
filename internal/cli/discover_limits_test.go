package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// runBounded runs emac like run, but fails the test instead of hanging
// when the command does not end: the inputs here are endless.
func runBounded(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		out, err string
		code     int
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := Run(ctx, args, strings.NewReader(""), &out, &errb)
		done <- result{out.String(), errb.String(), code}
	}()
	// Not a performance bound: long enough for a slow machine, short
	// enough to report an endless read as a failure rather than a hung
	// test binary.
	select {
	case r := <-done:
		return r.out, r.err, r.code
	case <-time.After(3 * time.Minute):
		t.Fatalf("emac %s did not end", strings.Join(args, " "))
	}
	return "", "", 0
}

// wideTraceFile writes one OTLP JSON trace: a root span "gateway
// checkout" calling a backend n times. It returns the file and the trace
// ID.
func wideTraceFile(t testing.TB, dir string, n int) (string, string) {
	t.Helper()
	tid := "0af7651916cd43dd8448eb211c80319c"
	spans := []trace.Span{{TraceID: tid, SpanID: "0000000000000001", Service: "gateway", Name: "checkout",
		Kind: trace.KindServer, Start: 1e18, End: 1e18 + int64(n+1)*1000}}
	for i := range n {
		start := int64(1e18) + int64(i)*1000
		spans = append(spans, trace.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", i+2), ParentID: "0000000000000001",
			Service: "gateway", Name: "call db", Kind: trace.KindClient, Start: start, End: start + 900,
			Attrs: map[string]string{trace.AttrPeerService: "db"}})
	}
	name := filepath.Join(dir, "wide.jsonl")
	writeTraces(t, name, spans)
	return name, tid
}

func writeTraces(t testing.TB, name string, spans []trace.Span) {
	t.Helper()
	var b bytes.Buffer
	w, err := trace.NewWriter(&b, trace.FormatOTLP)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(spans); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gzipBomb writes a small gzip file that decompresses to an OTLP JSON
// document padded with n spaces.
func gzipBomb(t *testing.T, dir string, n int) string {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write([]byte(`{"resourceSpans": [`))
	pad := bytes.Repeat([]byte(" "), 1<<20)
	for i := 0; i < n; i += len(pad) {
		zw.Write(pad)
	}
	zw.Write([]byte(`]}`))
	zw.Close()
	name := filepath.Join(dir, "bomb.json.gz")
	if err := os.WriteFile(name, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// TestDiscoverEndlessInput checks that endless and oversized inputs stop
// at their limit (or at format detection) with exit 2 and a message that
// names what to change.
func TestDiscoverEndlessInput(t *testing.T) {
	dir := t.TempDir()
	traces, _ := wideTraceFile(t, dir, 3)
	bomb := gzipBomb(t, dir, 64<<20)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"traces /dev/zero", []string{"--traces", "/dev/zero"},
			[]string{"/dev/zero", "not a trace file", "otlp, otlp-proto, jaeger, zipkin", "--input-format"}},
		{"traces /dev/zero as protobuf", []string{"--traces", "/dev/zero", "--input-format", "otlp-proto", "--max-trace-bytes", "1048576"},
			[]string{"/dev/zero", "1,048,576 bytes", "--max-trace-bytes"}},
		{"gzip bomb", []string{"--traces", bomb, "--max-trace-bytes", "1048576"},
			[]string{bomb, "1,048,576 bytes", "--max-trace-bytes"}},
		{"k8s /dev/zero", []string{"--traces", traces, "--k8s", "/dev/zero", "--max-file-bytes", "65536"},
			[]string{"/dev/zero", "65,536 bytes", "--max-file-bytes"}},
		{"mesh /dev/zero", []string{"--traces", traces, "--mesh", "/dev/zero", "--max-file-bytes", "65536"},
			[]string{"/dev/zero", "65,536 bytes", "--max-file-bytes"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := runBounded(t, append([]string{"discover"}, tc.args...)...)
			if code != ExitBadInput {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitBadInput, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace on stderr:\n%s", stderr)
			}
		})
	}
}

// TestDiscoverSpecialFiles checks that named pipes in a directory are
// skipped (reading one would wait for a writer forever), for traces and
// manifests alike.
func TestDiscoverSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	wideTraceFile(t, dir, 3)
	k8s := filepath.Join(dir, "k8s")
	os.Mkdir(k8s, 0o755)
	for _, fifo := range []string{filepath.Join(dir, "pipe.json"), filepath.Join(k8s, "pipe.yaml")} {
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Skipf("no named pipes here: %v", err)
		}
	}
	out, stderr, code := runBounded(t, "discover", "--traces", dir, "--k8s", k8s)
	if code != 0 || !strings.Contains(out, "gateway") {
		t.Errorf("exit %d\n%s\n%s", code, out, stderr)
	}
}

// TestDiscoverSpansPerTrace checks that a trace over --max-spans-per-trace
// stops discover with its trace ID, the limit and the flag.
func TestDiscoverSpansPerTrace(t *testing.T) {
	traces, tid := wideTraceFile(t, t.TempDir(), 20)
	_, stderr, code := runBounded(t, "discover", "--traces", traces, "--journey", "gateway checkout", "--max-spans-per-trace", "10")
	if code != ExitBadInput {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, ExitBadInput, stderr)
	}
	for _, w := range []string{tid, "limit of 10 spans", "--max-spans-per-trace"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, stderr)
		}
	}
	if _, stderr, code := runBounded(t, "discover", "--traces", traces, "--max-spans-per-trace", "21"); code != 0 {
		t.Errorf("21 spans under a limit of 21: exit %d: %s", code, stderr)
	}
}

// TestDiscoverDuplicates reads every span twice (the same file given
// twice, as at-least-once export repeats batches): the repeats are
// dropped with a warning, and the model is the one read once but for a
// note counting them.
func TestDiscoverDuplicates(t *testing.T) {
	traces, _ := wideTraceFile(t, t.TempDir(), 5)
	once, stderr, code := runBounded(t, "discover", "--traces", traces, "--journey", "gateway checkout")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	twice, stderr, code := runBounded(t, "discover", "--traces", traces, traces, "--journey", "gateway checkout")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "warning: dropped 6 duplicate spans") {
		t.Errorf("no warning about the 6 repeated spans:\n%s", stderr)
	}
	if dropSources(once) != dropSources(twice) {
		t.Errorf("the repeats changed the model:\n%s\n---\n%s", once, twice)
	}
}

// dropSources removes the lines that list the input files and the note
// counting the repeats dropped.
func dropSources(model string) string {
	var keep []string
	for _, l := range strings.Split(model, "\n") {
		if !strings.Contains(l, "wide.jsonl") && !strings.Contains(l, "repeated spans") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestDiscoverBadFlags checks flag values that make no sense: a window
// of no spans, negative limits (which would remove the limit; 0 means
// the default).
func TestDiscoverBadFlags(t *testing.T) {
	traces, _ := wideTraceFile(t, t.TempDir(), 3)
	tests := []struct{ flag, value string }{
		{"--window", "0"}, {"--window", "-1"},
		{"--max-components", "0"}, {"--max-components", "-1"},
		{"--max-trace-bytes", "-1"}, {"--max-file-bytes", "-1"}, {"--max-spans-per-trace", "-1"},
	}
	for _, tc := range tests {
		_, stderr, code := runBounded(t, "discover", "--traces", traces, tc.flag, tc.value)
		if want := tc.flag + " must be at least 1, got " + tc.value; code != ExitBadInput || !strings.Contains(stderr, want) {
			t.Errorf("%s %s: exit %d, stderr %q; want %q", tc.flag, tc.value, code, stderr, want)
		}
	}
}

// TestDiscoverNoSpans checks the message when a file holds no spans: it
// names the format the file was read as.
func TestDiscoverNoSpans(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.json")
	os.WriteFile(empty, []byte(`{"data": []}`), 0o644)
	_, stderr, code := runBounded(t, "discover", "--traces", empty)
	if code != ExitBadInput || !strings.Contains(stderr, "no spans") || !strings.Contains(stderr, "jaeger") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = runBounded(t, "discover", "--traces", t.TempDir())
	if code != ExitBadInput || !strings.Contains(stderr, "no trace files") {
		t.Errorf("empty directory: exit %d, stderr %q", code, stderr)
	}
}

// BenchmarkDiscoverWideTrace runs discover on one trace whose root calls
// a backend 99,999 times (100,000 spans: the default
// --max-spans-per-trace): reading, inference and the model's output must
// stay near-linear in the spans of one trace.
func BenchmarkDiscoverWideTrace(b *testing.B) {
	traces, _ := wideTraceFile(b, b.TempDir(), 99_999)
	out := filepath.Join(b.TempDir(), "model.yaml")
	for b.Loop() {
		var stdout, stderr bytes.Buffer
		if code := Run(context.Background(), []string{"discover", "--traces", traces, "--journey", "gateway checkout", "-o", out},
			strings.NewReader(""), &stdout, &stderr); code != 0 {
			b.Fatalf("exit %d: %s", code, stderr.String())
		}
	}
}
