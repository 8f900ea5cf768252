package journey

import (
	"math"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
)

// at is where test expressions start: column = byte offset + 1.
var at = diag.Pos{File: "j.yaml", Line: 1, Col: 1}

func TestParseGood(t *testing.T) {
	tests := []struct{ in, want string }{
		{"frontend", "frontend"},
		{"skip", "skip"},
		{"Series", "Series"}, // an operator name without "(" is a component
		{"Series(frontend, Cond(0.8; cache, catalog), Timeout(200ms; Race(paya, payb), queue))",
			"Series(frontend, Cond(0.8; cache, catalog), Timeout(200ms; Race(paya, payb), queue))"},
		{"series( a ,b )", "Series(a, b)"},
		{"PARALLEL(a, b, c)", "Parallel(a, b, c)"},
		{"Parallel(a)", "Parallel(a)"},
		{"Series()", "Series()"},
		{"Cond(0.5, 0.3; a, b, c)", "Cond(0.5, 0.3; a, b, c)"},
		{"Cond(0.5, 0.3, 0.2; a, b, c)", "Cond(0.5, 0.3, 0.2; a, b, c)"},
		{"Cond([0.7, 0.9]; a, b)", "Cond([0.7, 0.9]; a, b)"},
		{"Cond([0.5,0.5]; a, b)", "Cond(0.5; a, b)"},
		{"Cond(p_hit; cache, catalog)", "Cond(p_hit; cache, catalog)"},
		{"Cond(p_hit, [0.1, 0.2], 0.05; a, b, c, skip)", "Cond(p_hit, [0.1, 0.2], 0.05; a, b, c, skip)"},
		{"Cond(; a)", "Cond(a)"},
		{"Cond(a)", "Cond(a)"},
		{"Cond(1e-05; a, b)", "Cond(1e-05; a, b)"},
		{"Cond(.25; a, b)", "Cond(0.25; a, b)"},
		{"Race(a, b)", "Race(a, b)"},
		{"Race(hedge=50ms; a, b)", "Race(hedge=50ms; a, b)"},
		{"Race(hedgeAfter=0.05; a, b)", "Race(hedge=50ms; a, b)"},
		{"Race(50ms; a, b)", "Race(hedge=50ms; a, b)"},
		{"Race(hedge=0s; a, b)", "Race(a, b)"},
		{"KofN(2; a, b, c)", "KofN(2; a, b, c)"},
		{"kofn(k=2; a, b, c)", "KofN(2; a, b, c)"},
		{"Timeout(200ms; a)", "Timeout(200ms; a)"},
		{"Timeout(0.2; a, b)", "Timeout(200ms; a, b)"},
		{"Timeout(1.5s; a, skip)", "Timeout(1.5s; a, skip)"},
		{"Timeout(1m; a)", "Timeout(60s; a)"},
		{"Timeout(2h30m; a)", "Timeout(9000s; a)"},
		{"Timeout(250us; a)", "Timeout(0.00025s; a)"},
		{"Timeout(250µs; a)", "Timeout(0.00025s; a)"},
		{"Timeout(1000ms; a)", "Timeout(1s; a)"},
		{"Timeout(1e-07s; a)", "Timeout(1e-07s; a)"},
		{"Timeout(200ms, timeoutProbability=0.01; a)", "Timeout(200ms, timeoutProbability=0.01; a)"},
		{"Timeout(timeoutprobability=0.01, timeout=200ms; a)", "Timeout(200ms, timeoutProbability=0.01; a)"},
		{"Retry(3, 100ms; a)", "Retry(3, 100ms; a)"},
		{"Retry(3, 100ms, 20ms; a)", "Retry(3, 100ms, 20ms; a)"},
		{"Retry(3, 100ms, 0; a)", "Retry(3, 100ms; a)"},
		{"Retry(3, 100ms, 20ms, timeoutProbability=0.5; a)", "Retry(3, 100ms, 20ms, timeoutProbability=0.5; a)"},
		{"Retry(attempts=2, perTryTimeout=1s, backoff=1m; a)", "Retry(2, 1s, 60s; a)"},
		{"Series(slo.front, k8s-app, _x, a-b.c_1)", "Series(slo.front, k8s-app, _x, a-b.c_1)"},
		{"\tSeries(a,\n  b)\n", "Series(a, b)"},
		{"Timeout(-200ms; a)", "Timeout(-200ms; a)"}, // syntactically fine; Validate rejects it
		{"KofN(-1; a)", "KofN(-1; a)"},
		{"Cond([0.9, 0.7]; a, b)", "Cond([0.9, 0.7]; a, b)"},
	}
	for _, tt := range tests {
		n, errs := Parse(tt.in, at)
		if errs.HasErrors() {
			t.Errorf("Parse(%q): unexpected errors:\n%v", tt.in, errs.Err())
			continue
		}
		if got := n.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		in   string
		col  int
		want string
	}{
		{"", 1, "expected a component or operator but found end of expression"},
		{"Seres(a, b)", 1, `unknown operator "Seres" (want one of Series, Parallel, Cond, Race, KofN, Timeout, Retry)`},
		{"Series(a, b", 12, `expected ")" but found end of expression`},
		{"Series(a b)", 10, `expected ",", ";" or ")" but found "b"`},
		{"Series(a; b; c)", 12, `expected "," or ")" but found ";"`},
		{"Series(a,)", 10, `expected a component, operator or parameter but found ")"`},
		{"Series(a, #)", 11, `expected a component, operator or parameter but found "#"`},
		{"Series(1; a)", 8, "Series takes no parameters"},
		{"a, b", 2, `expected end of expression but found ","`},
		{"a)", 2, `expected end of expression but found ")"`},
		{"Timeout(200ms; a, b, c)", 1, "Timeout takes 1 or 2 children (primary[, fallback]), got 3"},
		{"Timeout(200ms; )", 1, "Timeout takes 1 or 2 children"},
		{"Timeout(200ms, a)", 16, `expected ";" after the parameters of Timeout`},
		{"Timeout(a)", 9, `Timeout needs timeout before ";"`},
		{"Timeout(5x; a)", 9, `invalid duration "5x" for timeout`},
		{"Timeout(1.2.3s; a)", 9, `invalid duration "1.2.3s"`},
		{"Timeout(1e400s; a)", 9, "timeout 1e400s is out of range"},
		{"Timeout(foo; a)", 9, `timeout of Timeout must be a duration, got "foo"`},
		{"Timeout(200ms, 0.1; a)", 16, "too many parameters for Timeout (want timeout)"},
		{"Timeout(200ms, timeoutProbability=5ms; a)", 35, `timeoutProbability must be a number, got "5ms"`},
		{"Timeout(200ms, timeout=1s; a)", 16, "Timeout parameter timeout given twice"},
		{"KofN(a, b)", 6, `KofN needs k before ";"`},
		{"KofN(2.5; a, b)", 6, `k must be an integer, got "2.5"`},
		{"KofN(99999999999; a)", 6, "k 99999999999 is out of range"},
		{"Retry(3; a)", 8, `Retry needs perTryTimeout before ";"`},
		{"Retry(; a)", 7, `Retry needs attempts and perTryTimeout before ";"`},
		{"Retry(3, 1s; a, b)", 1, "Retry takes 1 child, got 2"},
		{"Retry(3, 1s, 1s, 1s; a)", 18, "too many parameters for Retry (want attempts, perTryTimeout, backoff)"},
		{"Race(x=1; a)", 6, `unknown parameter "x" for Race (want hedge)`},
		{"Race(hedge=; a)", 12, `expected a value after "hedge=" but found ";"`},
		{"Cond(a, b)", 6, `Cond needs probabilities before ";"`},
		{"Cond(0.5; a, b, c, d)", 6, "Cond with 4 branches takes 3 or 4 probabilities, got 1"},
		{"Cond(0.5, 0.3, 0.1, 0.1; a, b)", 6, "Cond with 2 branches takes 1 or 2 probabilities, got 4"},
		{"Cond([0.7, 0.9, 1]; a, b)", 15, `expected "]" but found ","`},
		{"Cond([0.7; a, b)", 10, `expected "," but found ";"`},
		{"Cond(0.5s; a, b)", 6, `invalid probability "0.5s"`},
		{"Cond(x=1; a, b)", 6, `Cond takes no named parameters, got "x"`},
		{"Cond(Series(a); a, b)", 6, `expected a probability but found operator "Series"`},
		{"Series(a=1)", 8, "Series takes no parameters"},
		{"Series(a, b=1)", 11, `expected a component or operator but found parameter "b=1"`},
		{"Series(a, -b)", 11, `found "-"`},
		{strings.Repeat("Series(", maxDepth+1) + "a" + strings.Repeat(")", maxDepth+1), 1 + 7*maxDepth, "expression nested too deeply"},
	}
	for _, tt := range tests {
		n, errs := Parse(tt.in, at)
		if n != nil {
			t.Errorf("Parse(%q) = %v, want nil tree", tt.in, n)
		}
		if !hasError(errs, tt.col, tt.want) {
			t.Errorf("Parse(%q) errors:\n%v\nwant one at column %d containing %q", tt.in, errs.Err(), tt.col, tt.want)
		}
	}
}

// hasError reports whether errs holds an error at col whose message contains
// want.
func hasError(errs *diag.List, col int, want string) bool {
	for _, d := range errs.Errors() {
		if d.Pos.Col == col && strings.Contains(d.Message, want) {
			return true
		}
	}
	return false
}

func TestParseCollectsErrors(t *testing.T) {
	in := "Series(Seres(a), Timeout(5x; b), KofN(c, d), Retry(3; e))"
	_, errs := Parse(in, at)
	want := []string{
		`1:8: unknown operator "Seres"`,
		`1:26: invalid duration "5x"`,
		`1:39: KofN needs k before ";"`,
		`1:53: Retry needs perTryTimeout before ";"`,
	}
	got := errs.Errors()
	if len(got) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(got), len(want), errs.Err())
	}
	for i, d := range got {
		if !strings.Contains(d.String(), want[i]) {
			t.Errorf("error %d = %q, want it to contain %q", i, d.String(), want[i])
		}
	}
}

func TestParsePositions(t *testing.T) {
	start := diag.Pos{File: "j.yaml", Line: 7, Col: 11}
	n, errs := Parse("Series(front, Cond(0.8; cache, skip))", start)
	if errs.HasErrors() {
		t.Fatal(errs.Err())
	}
	var got []string
	Walk(n, func(n Node) bool {
		got = append(got, Kind(n)+"@"+n.Position().String())
		return true
	})
	want := "series@j.yaml:7:11 leaf@j.yaml:7:18 cond@j.yaml:7:25 leaf@j.yaml:7:35 skip@j.yaml:7:42"
	if strings.Join(got, " ") != want {
		t.Errorf("positions = %s, want %s", strings.Join(got, " "), want)
	}
	c := n.Children()[1].(*Cond)
	if p := c.Probs[0].Pos.String(); p != "j.yaml:7:30" {
		t.Errorf("probability position = %s, want j.yaml:7:30", p)
	}
}

func TestParseImplicitProbability(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi float64
	}{
		{"Cond(0.8; a, b)", 0.2, 0.2},
		{"Cond(0.5, 0.3; a, b, c)", 0.2, 0.2},
		{"Cond([0.7, 0.9]; a, b)", 0.1, 0.3},
		{"Cond([0.5, 0.9], [0.3, 0.4]; a, b, c)", 0, 0.2}, // lower end raised to 0
		{"Cond(p_hit; a, b)", 0, 0},                       // filled by Bind
		{"Cond(a)", 1, 1},
		{"Cond(0.7, 0.5; a, b, c)", -0.2, -0.2}, // left for Validate
	}
	for _, tt := range tests {
		n, errs := Parse(tt.in, at)
		if errs.HasErrors() {
			t.Fatalf("Parse(%q): %v", tt.in, errs.Err())
		}
		probs := n.(*Cond).Probs
		last := probs[len(probs)-1]
		if !last.Implicit || !near(last.Lo, tt.lo) || !near(last.Hi, tt.hi) {
			t.Errorf("Parse(%q) implicit probability = %+v, want [%g, %g] implicit", tt.in, last, tt.lo, tt.hi)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"200ms", 0.2, true}, {"1.5s", 1.5, true}, {"1m", 60, true}, {"2h30m", 9000, true},
		{"250us", 250e-6, true}, {"250µs", 250e-6, true}, {"250μs", 250e-6, true}, {"5ns", 5e-9, true},
		{"1d", 86400, true}, {"1w", 604800, true}, {"0.2", 0.2, true}, {"3", 3, true}, {"1e-07s", 1e-7, true},
		{"-1.5s", -1.5, true}, {"1h0.5m", 3630, true},
		{"", 0, false}, {"-", 0, false}, {"s", 0, false}, {"5", 5, true}, {"5x", 0, false}, {"2h30", 0, false},
		{"1..5s", 0, false}, {"0x10", 0, false}, {"Inf", 0, false}, {"NaN", 0, false}, {"1_000ms", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || tt.ok && !near(got, tt.want) {
			t.Errorf("ParseDuration(%q) = %g, %v; want %g, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFormatDurationRoundTrip(t *testing.T) {
	for _, sec := range []float64{0, 0.2, 0.001, 0.999, 1, 1.5, 60, 1e-7, -0.2, -5, 123.456, 0.1 + 0.2, -1e20, 1e300} {
		s := FormatDuration(sec)
		got, err := ParseDuration(s)
		if err != nil || got != sec {
			t.Errorf("ParseDuration(FormatDuration(%g) = %q) = %g, %v", sec, s, got, err)
		}
	}
}
