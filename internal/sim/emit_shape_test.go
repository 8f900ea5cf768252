package sim_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/sim"
)

// tally counts the situations a shape check met, so a test can insist
// that every branch of the check was exercised.
type tally map[string]int

// shapeCheck checks one emitted trace of a shape test.
type shapeCheck func(r emitted, seen tally) error

const eps = 2e-9 // two rounded nanoseconds

func near(a, b float64) bool { return math.Abs(a-b) <= eps }

// TestEmitShapes checks, per operator, the timeline of every emitted
// trace against the trace conventions, and that each listed situation
// occurred at least once in 3000 requests.
func TestEmitShapes(t *testing.T) {
	tests := []struct {
		name  string
		root  journey.Node
		check shapeCheck
		want  []string
		agg   func(seen tally, n int) error
	}{
		{"series", series(leaf("a"), leaf("c"), leaf("x")), checkSeries("a", "c", "x"),
			[]string{"ok", "fail at a", "fail at c", "fail at x"}, nil},
		{"parallel", &journey.Parallel{Branches: []journey.Node{leaf("a"), leaf("b"), leaf("c")}}, checkParallel(3),
			[]string{"ok", "fail"}, nil},
		{"race", race(0, leaf("a"), leaf("b")), checkRace(0, "a", "b"),
			[]string{"cancelled", "loser failed first", "fail"}, nil},
		{"hedged race", race(0.03, leaf("a"), leaf("b"), leaf("x")), checkRace(0.03, "a", "b", "x"),
			[]string{"1 started", "2 started", "3 started", "cancelled", "fail"}, nil},
		{"race of a series", race(0, series(leaf("a"), leaf("c")), leaf("b")), checkRaceSeries,
			[]string{"a cancelled, c never sent", "c cancelled", "b cancelled"}, nil},
		{"kofn", &journey.KofN{K: 2, Branches: []journey.Node{leaf("a"), leaf("b"), leaf("x")}}, checkKofN(2, 3),
			[]string{"ok", "ok cancelled", "fail", "fail cancelled"}, nil},
		{"timeout", &journey.Timeout{Timeout: 0.06, Primary: leaf("a"), Fallback: leaf("c")}, checkTimeout(0.06, true),
			[]string{"in time", "cut", "failed", "fallback failed"}, nil},
		{"timeout without fallback", &journey.Timeout{Timeout: 0.06, Primary: leaf("a")}, checkTimeout(0.06, false),
			[]string{"in time", "cut", "failed"}, nil},
		{"timeout of a series", &journey.Timeout{Timeout: 0.06, Primary: series(leaf("a"), leaf("c")), Fallback: leaf("x")},
			checkTimeoutSeries(0.06), []string{"in time", "c cut", "c never sent", "a failed"}, nil},
		{"timeout probability", &journey.Timeout{Timeout: 0.2, TimeoutProbability: ptr(0.3), Primary: leaf("c"),
			Fallback: leaf("b")}, checkTimeout(0.2, true), []string{"in time", "late"}, lateFraction(0.3)},
		{"retry", &journey.Retry{Attempts: 3, PerTryTimeout: 0.06, Backoff: 0.01, Target: leaf("a")},
			checkRetry(3, 0.06, 0.07), []string{"ok at 1", "ok at 2", "ok at 3", "after timeout", "after 500", "fail"}, nil},
		{"cond with skip", &journey.Cond{Probs: points(0.3, 0.7), Branches: []journey.Node{&journey.Skip{}, leaf("a")}},
			checkCond, []string{"none", "a"}, condFreq(map[string]float64{"none": 0.3, "a": 0.7})},
		{"cond", &journey.Cond{Probs: points(0.2, 0.5, 0.3), Branches: []journey.Node{leaf("a"), leaf("b"), leaf("c")}},
			checkCond, []string{"a", "b", "c"}, condFreq(map[string]float64{"a": 0.2, "b": 0.5, "c": 0.3})},
	}
	const requests = 3000
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := shapeJourney()
			j.Root = tc.root
			traces, _ := emitAll(t, j, sim.EmitOptions{Requests: requests, Seed: 4})
			seen, bad := tally{}, 0
			for i, r := range traces {
				if err := tc.check(r, seen); err != nil {
					if bad++; bad <= 5 {
						t.Errorf("trace %d: %v\n%s", i, err, describe(r))
					}
				}
			}
			for _, w := range tc.want {
				if seen[w] == 0 {
					t.Errorf("never saw %q (saw %v)", w, seen)
				}
			}
			if tc.agg != nil {
				if err := tc.agg(seen, requests); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func series(steps ...journey.Node) journey.Node { return &journey.Series{Steps: steps} }

func race(hedge float64, branches ...journey.Node) journey.Node {
	return &journey.Race{HedgeAfter: hedge, Branches: branches}
}

// describe renders a trace's calls for failure messages.
func describe(r emitted) string {
	s := fmt.Sprintf("  root error=%v end=%.6f\n", r.root.Error, r.rootEnd())
	for _, c := range r.calls {
		s += fmt.Sprintf("  %s [%.6f, %.6f] %q\n", c.peer, c.start, c.end, c.errType)
	}
	return s
}

// peers returns the called components in start order.
func peers(r emitted) []string {
	var out []string
	for _, c := range r.calls {
		out = append(out, c.peer)
	}
	return out
}

// checkEnd checks the root's end and error against the journey outcome.
func checkEnd(r emitted, ok bool, end float64) error {
	if r.root.Error == ok || !near(r.rootEnd(), end) {
		return fmt.Errorf("root error %v ending at %.6f, want error %v at %.6f", r.root.Error, r.rootEnd(), !ok, end)
	}
	return nil
}

// checkSeries: steps in order, each starting 0–0.2 ms after the previous
// ended; a failed step is the last.
func checkSeries(want ...string) shapeCheck {
	return func(r emitted, seen tally) error {
		if len(r.calls) == 0 || !slices.Equal(peers(r), want[:len(r.calls)]) {
			return fmt.Errorf("calls %v, want a prefix of %v", peers(r), want)
		}
		prev := 0.0
		for i, c := range r.calls {
			gap := c.start - prev
			if (i == 0 && !near(gap, 0)) || gap < -eps || gap > 0.2e-3+eps {
				return fmt.Errorf("step %d starts %.6f ms after the previous", i, gap*1e3)
			}
			if c.errType != "" && (c.errType != "500" || i != len(r.calls)-1) {
				return fmt.Errorf("step %d error.type %q", i, c.errType)
			}
			prev = c.end
		}
		last := r.calls[len(r.calls)-1]
		ok := last.errType == ""
		if ok && len(r.calls) != len(want) {
			return fmt.Errorf("stopped after a success")
		}
		if ok {
			seen["ok"]++
		} else {
			seen["fail at "+last.peer]++
		}
		return checkEnd(r, ok, last.end)
	}
}

// checkParallel: every branch starts within 0.05 ms and runs to its end;
// the root ends at the last end and fails if any failed.
func checkParallel(n int) shapeCheck {
	return func(r emitted, seen tally) error {
		if len(r.calls) != n {
			return fmt.Errorf("%d calls, want %d", len(r.calls), n)
		}
		ok, end := true, 0.0
		for _, c := range r.calls {
			if c.start < -eps || c.start > 0.05e-3+eps || (c.errType != "" && c.errType != "500") {
				return fmt.Errorf("%s starts at %.6f ms, error.type %q", c.peer, c.start*1e3, c.errType)
			}
			ok = ok && c.errType == ""
			end = max(end, c.end)
		}
		seen[map[bool]string{true: "ok", false: "fail"}[ok]]++
		return checkEnd(r, ok, end)
	}
}

// checkRace: branch j starts at j·d unless the winner finished by then;
// the first success ends the race and cancels the running calls at once.
func checkRace(d float64, want ...string) shapeCheck {
	return func(r emitted, seen tally) error {
		if len(r.calls) > len(want) || !slices.Equal(peers(r), want[:len(r.calls)]) {
			return fmt.Errorf("calls %v, want a prefix of %v", peers(r), want)
		}
		win := math.Inf(1)
		for j, c := range r.calls {
			if !near(c.start, float64(j)*d) {
				return fmt.Errorf("branch %d starts at %.6f", j, c.start)
			}
			if c.errType == "" {
				win = min(win, c.end)
			}
		}
		seen[fmt.Sprintf("%d started", len(r.calls))]++
		if math.IsInf(win, 1) {
			seen["fail"]++
			if len(r.calls) != len(want) {
				return fmt.Errorf("failed race without every branch")
			}
			return raceLosers(r, seen, math.Inf(1), lastEnd(r))
		}
		if next := float64(len(r.calls)) * d; len(r.calls) < len(want) && next < win-eps {
			return fmt.Errorf("branch %d not started at %.6f before the winner at %.6f", len(r.calls), next, win)
		}
		return raceLosers(r, seen, win, win)
	}
}

// raceLosers checks the calls of a race won at win (+Inf: lost) and its
// end.
func raceLosers(r emitted, seen tally, win, end float64) error {
	for _, c := range r.calls {
		switch {
		case c.errType == "" && c.end <= win+eps: // the winner, or an earlier step of its branch
		case c.errType == "500" && c.end <= win+eps:
			if !math.IsInf(win, 1) {
				seen["loser failed first"]++
			}
		case c.errType == "cancelled" && near(c.end, win):
			seen["cancelled"]++
			seen[c.peer+" cancelled"]++
		default:
			return fmt.Errorf("%s ends at %.6f with %q, winner at %.6f", c.peer, c.end, c.errType, win)
		}
	}
	return checkEnd(r, !math.IsInf(win, 1), end)
}

func lastEnd(r emitted) float64 {
	end := 0.0
	for _, c := range r.calls {
		end = max(end, c.end)
	}
	return end
}

// checkRaceSeries: Race(Series(a, c), b); a call of the losing series
// that had not started when b won is never sent.
func checkRaceSeries(r emitted, seen tally) error {
	var a, c *emittedCall
	win := math.Inf(1)
	for i := range r.calls {
		switch x := &r.calls[i]; x.peer {
		case "a":
			a = x
		case "c":
			c = x
		}
		if x := r.calls[i]; x.errType == "" && (x.peer == "b" || x.peer == "c") {
			win = min(win, x.end)
		}
	}
	if a == nil || (c != nil && c.start < a.end) {
		return fmt.Errorf("calls %v", peers(r))
	}
	if a.errType == "cancelled" {
		if c != nil {
			return fmt.Errorf("c sent after a was cancelled")
		}
		seen["a cancelled, c never sent"]++
	}
	end := win
	if math.IsInf(win, 1) {
		end = lastEnd(r)
	}
	return raceLosers(r, seen, win, end)
}

// checkKofN: all branches start together; at the k-th success, or when
// fewer than k can still succeed, the running calls are cancelled.
func checkKofN(k, n int) shapeCheck {
	return func(r emitted, seen tally) error {
		if len(r.calls) != n {
			return fmt.Errorf("%d calls, want %d", len(r.calls), n)
		}
		var succ, fail []float64
		cancelled := 0
		for _, c := range r.calls {
			if !near(c.start, 0) {
				return fmt.Errorf("%s starts at %.6f", c.peer, c.start)
			}
			switch c.errType {
			case "":
				succ = append(succ, c.end)
			case "500":
				fail = append(fail, c.end)
			case "cancelled":
				cancelled++
			}
		}
		slices.Sort(succ)
		slices.Sort(fail)
		ok := len(succ) >= k
		var at float64
		if ok {
			at = succ[k-1]
			seen["ok"]++
		} else {
			if len(fail) < n-k+1 {
				return fmt.Errorf("failed with %d failures", len(fail))
			}
			at = fail[n-k]
			seen["fail"]++
		}
		for _, c := range r.calls {
			if (c.errType == "cancelled" && !near(c.end, at)) || c.end > at+eps {
				return fmt.Errorf("%s ends at %.6f with %q; decided at %.6f", c.peer, c.end, c.errType, at)
			}
		}
		if cancelled > 0 {
			seen[map[bool]string{true: "ok cancelled", false: "fail cancelled"}[ok]]++
		}
		return checkEnd(r, ok, at)
	}
}

// checkTimeout: the primary starts at 0; a late or failed primary is cut
// at τ (a cut call's server span still lasts the whole answer) and the
// fallback, if any, starts at τ; without it the root fails at τ.
func checkTimeout(tau float64, fallback bool) shapeCheck {
	return func(r emitted, seen tally) error {
		p := r.calls[0]
		if !near(p.start, 0) {
			return fmt.Errorf("primary starts at %.6f", p.start)
		}
		switch {
		case p.errType == "" && p.end <= tau+eps:
			seen["in time"]++
			if len(r.calls) != 1 {
				return fmt.Errorf("fallback after a timely primary")
			}
			return checkEnd(r, true, p.end)
		case p.errType == "timeout" && near(p.end, tau):
			if p.server != nil && p.server.Duration() < p.client.Duration()-1e6 {
				seen["late"]++ // answered in time, made late by timeoutProbability
			} else {
				seen["cut"]++
			}
		case p.errType == "500" && p.end <= tau+eps:
			seen["failed"]++
		default:
			return fmt.Errorf("primary ends at %.6f with %q", p.end, p.errType)
		}
		if !fallback {
			if len(r.calls) != 1 {
				return fmt.Errorf("calls %v without fallback", peers(r))
			}
			return checkEnd(r, false, tau)
		}
		if len(r.calls) != 2 || !near(r.calls[1].start, tau) {
			return fmt.Errorf("fallback missing or not at τ")
		}
		m := r.calls[1]
		if m.errType != "" {
			seen["fallback failed"]++
		}
		return checkEnd(r, m.errType == "", m.end)
	}
}

// lateFraction checks that the fraction of timely successes shown late
// is tp.
func lateFraction(tp float64) func(tally, int) error {
	return func(seen tally, _ int) error {
		n := float64(seen["in time"] + seen["late"])
		got := float64(seen["late"]) / n
		if se := math.Sqrt(tp * (1 - tp) / n); math.Abs(got-tp) > 4.5*se {
			return fmt.Errorf("late fraction %.4f of %v, want %v ± %.4f", got, n, tp, 4.5*se)
		}
		return nil
	}
}

// checkTimeoutSeries: Timeout(τ; Series(a, c), x): no call of the primary
// starts at or after τ, its running call is cut at τ, x starts at τ.
func checkTimeoutSeries(tau float64) shapeCheck {
	return func(r emitted, seen tally) error {
		var primary []emittedCall
		var fb *emittedCall
		for i, c := range r.calls {
			if c.peer == "x" {
				fb = &r.calls[i]
			} else {
				primary = append(primary, c)
			}
		}
		ps := peers(emitted{calls: primary})
		if !slices.Equal(ps, []string{"a", "c"}[:len(ps)]) || len(ps) == 0 {
			return fmt.Errorf("primary calls %v", ps)
		}
		last := primary[len(primary)-1]
		if fb == nil {
			if len(ps) != 2 || last.errType != "" || last.end > tau+eps {
				return fmt.Errorf("no fallback after an incomplete primary")
			}
			seen["in time"]++
			return checkEnd(r, true, last.end)
		}
		if !near(fb.start, tau) {
			return fmt.Errorf("fallback at %.6f", fb.start)
		}
		for _, c := range primary {
			if c.start >= tau-eps || c.end > tau+eps || (c.errType == "timeout" && !near(c.end, tau)) {
				return fmt.Errorf("primary call %s [%.6f, %.6f] %q", c.peer, c.start, c.end, c.errType)
			}
		}
		switch {
		case last.errType == "timeout":
			seen[last.peer+" cut"]++
		case last.peer == "a" && last.errType == "500":
			seen["a failed"]++
		}
		if len(ps) == 1 && last.errType == "timeout" {
			seen["c never sent"]++
		}
		return checkEnd(r, fb.errType == "", fb.end)
	}
}

// checkRetry: attempt j starts at j·gap; each attempt but the last failed
// or was cut at τ; the root fails at the last attempt's deadline.
func checkRetry(attempts int, tau, gap float64) shapeCheck {
	return func(r emitted, seen tally) error {
		for j, c := range r.calls {
			start := float64(j) * gap
			if !near(c.start, start) || c.end > start+tau+eps {
				return fmt.Errorf("attempt %d [%.6f, %.6f]", j, c.start, c.end)
			}
			switch {
			case c.errType == "timeout" && near(c.end, start+tau):
				if j < len(r.calls)-1 {
					seen["after timeout"]++
				}
			case c.errType == "500":
				if j < len(r.calls)-1 {
					seen["after 500"]++
				}
			case c.errType != "" || j != len(r.calls)-1:
				return fmt.Errorf("attempt %d ends %q", j, c.errType)
			}
		}
		last := r.calls[len(r.calls)-1]
		if last.errType == "" {
			seen[fmt.Sprintf("ok at %d", len(r.calls))]++
			return checkEnd(r, true, last.end)
		}
		seen["fail"]++
		if len(r.calls) != attempts {
			return fmt.Errorf("gave up after %d attempts", len(r.calls))
		}
		return checkEnd(r, false, float64(attempts-1)*gap+tau)
	}
}

// checkCond: one branch at most, started with the root.
func checkCond(r emitted, seen tally) error {
	if len(r.calls) == 0 {
		seen["none"]++
		return checkEnd(r, true, 0)
	}
	if len(r.calls) != 1 || !near(r.calls[0].start, 0) {
		return fmt.Errorf("calls %v", peers(r))
	}
	c := r.calls[0]
	seen[c.peer]++
	return checkEnd(r, c.errType == "", c.end)
}

// condFreq checks the branch frequencies against their probabilities.
func condFreq(probs map[string]float64) func(tally, int) error {
	return func(seen tally, n int) error {
		for b, p := range probs {
			got := float64(seen[b]) / float64(n)
			if se := math.Sqrt(p * (1 - p) / float64(n)); math.Abs(got-p) > 4.5*se {
				return fmt.Errorf("branch %s taken %.4f of the time, want %v ± %.4f", b, got, p, 4.5*se)
			}
		}
		return nil
	}
}
