package infer

import (
	"flag"
	"testing"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/testenv"
)

var (
	rtJourneys = flag.Int("roundtrip.journeys", 60, "exercised random journeys in TestRoundTripRandom (when unset: 20, or 60 under EMAC_LONG=1)")
	rtRequests = flag.Int("roundtrip.requests", 20000, "requests emitted per random journey")
	rtFirst    = flag.Int("roundtrip.first", 0, "seed of the first random journey")
)

// rtJourneysReduced is the number of random journeys checked by the
// default run.
const rtJourneysReduced = 20

// flagSet reports whether the flag name was set on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// rtTally sums the outcomes of the random round trip.
type rtTally struct {
	journeys, unseen, structure, params, domains int
	condIn, condN, availIn, availN, p99In, p99N  int
	ops                                          map[string]int
}

func (t *rtTally) add(o outcome) {
	t.journeys++
	if o.structure == "" {
		t.structure++
	}
	if len(o.params) == 0 {
		t.params++
	}
	if o.domains == "" {
		t.domains++
	}
	t.condIn += o.condIn
	t.condN += o.condN
	t.availIn += o.availIn
	t.availN += o.availN
	t.p99In += o.p99In
	t.p99N += o.p99N
}

func rate(k, n int) float64 {
	if n == 0 {
		return 1
	}
	return float64(k) / float64(n)
}

// TestRoundTripRandom infers randomized journeys (gen_test.go) from 20,000
// simulated requests each and checks the recovered model against the
// truth: tree equivalence (equiv_test.go), parameters, Cond probabilities,
// leaf availabilities and p99s inside their reported 95 % intervals, and
// failure domains. Journeys whose sample does not exercise every
// component and deadline are counted apart. Run with -v for the figures.
// Without EMAC_LONG=1 or an explicit -roundtrip.journeys, the first
// rtJourneysReduced journeys are checked (testenv.Size).
func TestRoundTripRandom(t *testing.T) {
	tl := rtTally{ops: map[string]int{}}
	want := *rtJourneys
	if !flagSet("roundtrip.journeys") {
		want = testenv.Size(t, want, rtJourneysReduced)
	}
	if testing.Short() {
		want = min(want, 15)
	}
	for i := *rtFirst; tl.journeys < want && i < *rtFirst+4*want; i++ {
		j := randomJourney(uint64(i), 3+i%6)
		o := roundTrip(t, j, *rtRequests, uint64(1000+i), 0.95)
		if o.unseen != "" {
			tl.unseen++
			t.Logf("journey %d not exercised by its sample: %s", i, o.unseen)
			continue
		}
		journey.Walk(j.Root, func(n journey.Node) bool { tl.ops[journey.Kind(n)]++; return true })
		tl.add(o)
		if o.structure != "" {
			t.Logf("journey %d: %s\n  want %s\n  got  %s", i, o.structure, j.Root, o.got)
		}
		for _, s := range append(append(o.params, o.domains), o.misses...) {
			if s != "" {
				t.Logf("journey %d: %s", i, s)
			}
		}
	}
	t.Logf("operators used: %v", tl.ops)
	t.Logf("%d journeys exercised by their sample, %d more left out as not exercised", tl.journeys, tl.unseen)
	t.Logf("structure %d/%d, parameters %d/%d, domains %d/%d", tl.structure, tl.journeys, tl.params, tl.journeys, tl.domains, tl.journeys)
	t.Logf("95%% interval coverage: Cond probabilities %d/%d, availabilities %d/%d, p99 %d/%d",
		tl.condIn, tl.condN, tl.availIn, tl.availN, tl.p99In, tl.p99N)
	for _, op := range []string{"series", "parallel", "cond", "skip", "race", "kofn", "timeout", "retry"} {
		if tl.ops[op] == 0 {
			t.Errorf("no exercised journey uses %s", op)
		}
	}
	check := func(what string, got, min float64) {
		if got < min {
			t.Errorf("%s: %.3f, want at least %.2f", what, got, min)
		}
	}
	check("structure success rate", rate(tl.structure, tl.journeys), 0.95)
	check("parameter success rate", rate(tl.params, tl.journeys), 0.9)
	check("domain success rate", rate(tl.domains, tl.journeys), 0.95)
	check("Cond probability coverage", rate(tl.condIn, tl.condN), 0.9)
	check("availability coverage", rate(tl.availIn, tl.availN), 0.9)
	check("p99 coverage", rate(tl.p99In, tl.p99N), 0.9)
}
