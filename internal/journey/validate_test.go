package journey

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
)

var (
	testComponents = map[string]bool{"frontend": true, "cache": true, "catalog": true, "paya": true,
		"payb": true, "queue": true, "payment": true, "a": true, "b": true, "c": true, "retired": false}
	testParams = map[string]float64{"p_hit": 0.85, "p_bad": 1.2, "p_half": 0.5}
)

func TestValidate(t *testing.T) {
	tests := []struct {
		in   string
		want []string // "column: message substring", in order
	}{
		{"Series(frontend, Cond(0.8; cache, catalog), Timeout(200ms; Race(paya, payb), queue))", nil},
		{"Series(frontend, Cond(p_hit; cache, catalog), Retry(3, 100ms, 10ms; skip))", nil},
		{"Series(frontend, paymnt)", []string{`18: unknown component "paymnt" (did you mean "payment"?)`}},
		{"Series(a, retired, zzz)", []string{`11: unknown component "retired"`, `20: unknown component "zzz"`}},
		{"Series(pay)", []string{`8: unknown component "pay" (did you mean "paya" or "payb"?)`}},
		{"Cond(1.2; a, b)", []string{"6: probability 1.2 is outside [0, 1]"}},
		{"Cond(-0.1, 1.1; a, b)", []string{"6: probability -0.1 is outside", "12: probability 1.1 is outside"}},
		{"Cond([0.9, 0.7]; a, b)", []string{"6: probability interval [0.9, 0.7] has lo > hi"}},
		{"Cond([0.5, 1.5]; a, b)", []string{"6: probability [0.5, 1.5] is outside [0, 1]"}},
		{"Cond(0.5, 0.3, 0.1; a, b, c)", []string{"1: Cond probabilities sum to 0.9, want 1"}},
		{"Cond(0.5, 0.3, 0.2; a, b, c)", nil},
		{"Cond(0.1, 0.2, 0.7; a, b, c)", nil},
		{"Cond(0.7, 0.3; a, b, c)", nil},
		{"Cond(0.7, 0.5; a, b, c)", []string{"1: Cond probabilities sum to 1.2 > 1, leaving nothing for the last branch"}},
		{"Cond([0.5, 0.7], [0.3, 0.5]; a, b)", nil},
		{"Cond([0.6, 0.7], [0.5, 0.6]; a, b)", []string{"1: Cond probability intervals cannot sum to 1: the lower bounds sum to 1.1 > 1"}},
		{"Cond([0.1, 0.2], [0.3, 0.4]; a, b)", []string{"1: Cond probability intervals cannot sum to 1: the upper bounds sum to 0.6 < 1"}},
		{"Cond([0.6, 0.7], [0.5, 0.6]; a, b, c)", []string{"1: Cond probability lower bounds sum to 1.1 > 1"}},
		{"Cond([0.5, 0.9], [0.3, 0.4]; a, b, c)", nil},
		{"Cond(p_hti; a, b)", []string{`6: unknown parameter "p_hti" (did you mean "p_hit"?)`}},
		{"Cond(p_bad; a, b)", []string{`6: parameter "p_bad" = 1.2 is outside [0, 1]`}},
		{"Cond(p_hit, 0.15; a, b)", nil},
		{"Cond(p_hit, 0.2; a, b)", []string{"1: Cond probabilities sum to 1.05, want 1"}},
		{"Cond(p_half, p_half; a, b, c)", nil},
		{"Cond(p_half, p_half, p_half; a, b, c)", []string{"1: Cond probabilities sum to 1.5, want 1"}},
		{"Cond(0.5; )", []string{"1: Cond has no branches"}},
		{"KofN(3; a, b)", []string{"1: KofN needs 1 ≤ k ≤ 2 (the number of branches), got k=3"}},
		{"KofN(0; a)", []string{"1: KofN needs 1 ≤ k ≤ 1 (the number of branches), got k=0"}},
		{"KofN(1; )", []string{"1: KofN has no branches"}},
		{"Series()", []string{"1: Series has no steps"}},
		{"Parallel()", []string{"1: Parallel has no branches"}},
		{"Race()", []string{"1: Race has no branches"}},
		{"Series(Race(a), Parallel(b))", nil},
		{"Race(hedge=-50ms; a, b)", []string{"1: Race hedge must be ≥ 0, got -50ms"}},
		{"Timeout(0s; a)", []string{"1: Timeout duration must be positive, got 0ms"}},
		{"Timeout(-1.5s; a, b)", []string{"1: Timeout duration must be positive, got -1.5s"}},
		{"Timeout(1s, timeoutProbability=1.5; a)", []string{"1: Timeout timeoutProbability must be in [0, 1], got 1.5"}},
		{"Retry(0, 100ms; a)", []string{"1: Retry needs at least 1 attempt, got 0"}},
		{"Retry(2, 0; a)", []string{"1: Retry perTryTimeout must be positive, got 0ms"}},
		{"Retry(2, 1s, -1s; a)", []string{"1: Retry backoff must be ≥ 0, got -1s"}},
		{"Retry(2, 1s, timeoutProbability=-0.5; a)", []string{"1: Retry timeoutProbability must be in [0, 1], got -0.5"}},
		{"Series(x, KofN(5; a), Timeout(0s; y))", []string{`8: unknown component "x"`, "11: KofN needs 1 ≤ k ≤ 1",
			"23: Timeout duration must be positive", `35: unknown component "y"`}},
	}
	for _, tt := range tests {
		n, errs := Parse(tt.in, at)
		if errs.HasErrors() {
			t.Fatalf("Parse(%q): %v", tt.in, errs.Err())
		}
		checkErrors(t, tt.in, Validate(n, testComponents, testParams), tt.want)
	}
}

// checkErrors compares the errors of l with want, "column: substring" each.
func checkErrors(t *testing.T, name string, l *diag.List, want []string) {
	t.Helper()
	var got []string
	for _, d := range l.Errors() {
		got = append(got, strconv.Itoa(d.Pos.Col)+": "+d.Message)
	}
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.HasPrefix(got[i], strings.SplitN(want[i], ": ", 2)[0]+": ") && strings.Contains(got[i], strings.SplitN(want[i], ": ", 2)[1])
	}
	if !ok {
		t.Errorf("%s: errors\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestValidateTrees(t *testing.T) {
	pos := diag.Pos{File: "j.yaml", Line: 3, Col: 5}
	leaf := func(name string) Node { return &Leaf{At{pos}, name} }
	tests := []struct {
		name  string
		root  Node
		comps map[string]bool
		prm   map[string]float64
		want  []string
	}{
		{"k-1 probabilities from YAML", &Cond{At{pos}, []Prob{{Lo: 0.3, Hi: 0.3}}, []Node{leaf("a"), leaf("b")}}, testComponents, testParams, nil},
		{"wrong count from YAML", &Cond{At{pos}, nil, []Node{leaf("a"), leaf("b"), leaf("c")}}, testComponents, testParams,
			[]string{"5: Cond with 3 branches takes 2 or 3 probabilities, got 0"}},
		{"missing step", &Series{At{pos}, []Node{leaf("a"), nil}}, testComponents, testParams, []string{"5: Series child 2 is missing"}},
		{"no primary", &Timeout{At: At{pos}, Timeout: 1}, testComponents, testParams, []string{"5: Timeout has no primary"}},
		{"no target", &Retry{At: At{pos}, Attempts: 1, PerTryTimeout: 1}, testComponents, testParams, []string{"5: Retry has no target"}},
		{"empty name", leaf(""), testComponents, testParams, []string{"5: empty component name"}},
		{"nil root", nil, testComponents, testParams, []string{"0: empty journey expression"}},
		{"nil maps skip lookups", &Cond{At{pos}, []Prob{{Param: "zz"}}, []Node{leaf("x"), leaf("y")}}, nil, nil, nil},
		{"empty params map", &Cond{At{pos}, []Prob{{Pos: pos, Param: "zz"}}, []Node{leaf("a"), leaf("b")}}, nil, map[string]float64{},
			[]string{`5: unknown parameter "zz"`}},
	}
	for _, tt := range tests {
		checkErrors(t, tt.name, Validate(tt.root, tt.comps, tt.prm), tt.want)
	}
}

func TestBind(t *testing.T) {
	tests := []struct {
		in     string
		params map[string]float64
		want   []Prob // Lo, Hi, Implicit of every probability
	}{
		{"Cond(p_hit; a, b)", testParams, []Prob{{Lo: 0.85, Hi: 0.85}, {Lo: 0.15, Hi: 0.15, Implicit: true}}},
		{"Cond(p_hit; a, b)", nil, []Prob{{}, {Implicit: true}}},
		{"Cond(p_half, [0.1, 0.2]; a, b, c)", testParams, []Prob{{Lo: 0.5, Hi: 0.5}, {Lo: 0.1, Hi: 0.2}, {Lo: 0.3, Hi: 0.4, Implicit: true}}},
		{"Cond(p_half, p_hit; a, b)", testParams, []Prob{{Lo: 0.5, Hi: 0.5}, {Lo: 0.85, Hi: 0.85}}},
		{"Cond(0.25; a, b)", nil, []Prob{{Lo: 0.25, Hi: 0.25}, {Lo: 0.75, Hi: 0.75, Implicit: true}}},
	}
	for _, tt := range tests {
		n, errs := Parse(tt.in, at)
		if errs.HasErrors() {
			t.Fatal(errs.Err())
		}
		Bind(n, tt.params)
		Bind(n, tt.params) // idempotent
		c := n.(*Cond)
		if got := c.String(); got != tt.in {
			t.Errorf("after Bind, String() = %q, want %q", got, tt.in)
		}
		if !sameProbs(c.Probs, tt.want) {
			t.Errorf("Bind(%q): probabilities %+v, want %+v", tt.in, c.Probs, tt.want)
		}
	}
}

func TestBindCompletesYAMLTree(t *testing.T) {
	a, b := &Leaf{Name: "a"}, &Leaf{At{diag.Pos{Line: 9, Col: 3}}, "b"}
	c := &Cond{Probs: []Prob{{Param: "p_hit"}}, Branches: []Node{a, b}}
	Bind(c, testParams)
	want := []Prob{{Lo: 0.85, Hi: 0.85}, {Lo: 0.15, Hi: 0.15, Implicit: true}}
	if !sameProbs(c.Probs, want) || c.Probs[1].Pos != b.Pos {
		t.Errorf("Bind: probabilities %+v, want %+v at %v", c.Probs, want, b.Pos)
	}
}

func sameProbs(got, want []Prob) bool {
	return slices.EqualFunc(got, want, func(g, w Prob) bool {
		return near(g.Lo, w.Lo) && near(g.Hi, w.Hi) && g.Implicit == w.Implicit
	})
}

func TestUnusedComponents(t *testing.T) {
	n, _ := Parse("Series(a, Cond(0.5; b, a), skip)", at)
	got := UnusedComponents(n, []string{"d", "a", "c", "b", "c"})
	if want := []string{"c", "d"}; !slices.Equal(got, want) {
		t.Errorf("UnusedComponents = %q, want %q", got, want)
	}
}

func TestDidYouMean(t *testing.T) {
	tests := []struct {
		name       string
		candidates []string
		want       string
	}{
		{"fronted", []string{"frontend", "backend"}, ` (did you mean "frontend"?)`},
		{"Cache", []string{"cache"}, ` (did you mean "cache"?)`},
		{"q", []string{"a", "b", "c", "d"}, ` (did you mean "a", "b" or "c"?)`},
		{"checkout", []string{"cart", "search"}, ""},
	}
	for _, tt := range tests {
		if got := diag.DidYouMean(tt.name, tt.candidates); got != tt.want {
			t.Errorf("diag.DidYouMean(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}
