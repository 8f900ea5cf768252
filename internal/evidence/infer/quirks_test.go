package infer

import (
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/evidence/trace"
	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
	"github.com/emac-dev/emac/internal/sim"
	"github.com/emac-dev/emac/internal/testenv"
)

var (
	qtJourneys = flag.Int("quirks.journeys", 200, "random journeys in TestRoundTripQuirks (when unset: 20, or 200 under EMAC_LONG=1)")
	qtRequests = flag.Int("quirks.requests", 5000, "requests emitted per journey in TestRoundTripQuirks")
	qtFirst    = flag.Int("quirks.first", 0, "seed of the first journey of TestRoundTripQuirks")
	qtList     = flag.String("quirks.list", "all", "the quirks TestRoundTripQuirks emits with (comma-separated, as emac simulate --quirks)")
)

// qtReduced is the number of journeys the default run checks.
const qtReduced = 20

// allQuirks is every quirk of the emitter's real-instrumentation mode.
var allQuirks = sim.Quirks{NoKinds: true, NoStatus: true, ZipkinShared: true, Duplicates: true, AsyncCancel: true,
	Skew: true, SharedService: true, Loops: true, Cooccur: true}

// renamed returns j with its components renamed by names (a new tree,
// a new component map).
func renamed(j *model.Journey, names map[string]string) *model.Journey {
	out := *j
	out.Components = map[string]*model.Component{}
	for old, c := range j.Components {
		if n, ok := names[old]; ok {
			cc := *c
			cc.Name = n
			out.Components[n] = &cc
		}
	}
	root, errs := journey.Parse(j.Root.String(), diag.Pos{})
	if errs.HasErrors() {
		panic(errs.Err())
	}
	journey.Walk(root, func(n journey.Node) bool {
		if l, ok := n.(*journey.Leaf); ok {
			l.Name = names[l.Name]
		}
		return true
	})
	out.Root = root
	return &out
}

// quirkExercise counts what emitted traces show of each component when
// kinds and peer names follow the quirks: the gateway's spans below the
// root are its calls, named by peer.service and rpc.method.
type quirkExercise struct {
	*exercise
	byID map[[2]string]string
}

func (e quirkExercise) add(spans []trace.Span) {
	var calls []trace.Span
	for _, s := range spans {
		if s.Service != "gateway" || s.ParentID == "" {
			continue
		}
		peer := s.Attrs[trace.AttrPeerService]
		name := e.byID[[2]string{peer, cmpOr(s.Attrs[attrRPCMethod], peer)}]
		s.Kind = trace.KindClient
		s.Attrs = maps.Clone(s.Attrs)
		s.Attrs[trace.AttrPeerService] = name
		calls = append(calls, s)
	}
	e.exercise.add(calls)
}

// quirkRoundTrip emits requests of j with every quirk, written as Zipkin
// v2 JSON and read back through the trace package (grouped whole),
// infers the model and compares it with j's shape-quirked truth, its
// components renamed as discovery names the emitted operations.
func quirkRoundTrip(t *testing.T, j *model.Journey, requests int, seed uint64) (outcome, int) {
	o, bad, _ := quirkModel(t, j, requests, seed)
	return o, bad
}

// quirkModel is quirkRoundTrip, also returning the model.
func quirkModel(t *testing.T, j *model.Journey, requests int, seed uint64) (outcome, int, *Model) {
	t.Helper()
	allQuirks, err := sim.ParseQuirks(*qtList)
	if err != nil {
		t.Fatal(err)
	}
	j = sim.ApplyShapeQuirks(j, allQuirks, seed)
	ids := sim.Identities(j, allQuirks)
	names := map[string]string{}
	ex := quirkExercise{exercise: newExercise(), byID: map[[2]string]string{}}
	for c, id := range ids {
		names[c] = displayName(compKey{id.Service, id.Operation})
		ex.byID[[2]string{id.Service, id.Operation}] = c
	}
	truth := renamed(j, names)
	pr, pw := io.Pipe()
	go func() {
		w, _ := trace.NewWriter(pw, trace.FormatZipkin)
		_, err := sim.EmitTraces(j, sim.EmitOptions{Requests: requests, Seed: seed, Quirks: allQuirks}, w.Write)
		if err == nil {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	g := trace.NewGrouper(trace.GroupOptions{Dir: t.TempDir()})
	if _, err := trace.ReadFrom(pr, "quirks", trace.Options{}, func(s *trace.Span) error { return g.Add("quirks", s) }); err != nil {
		t.Fatalf("read: %v", err)
	}
	b := NewBuilder(Options{Journey: j.Name})
	if err := g.Close(func(src string, spans []trace.Span) error {
		b.Add(src, spans)
		ex.add(spans)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m, err := b.Model()
	if err != nil {
		t.Fatalf("model: %v", err)
	}
	var o outcome
	o.unseen = ex.missing(j.Root)
	o.got = m.Root.String()
	want, got := normalize(truth.Root), normalize(m.Root)
	o.structure, o.params = compare(want, got, "")
	if o.structure == "" {
		condCoverage(want, got, nodeInfos(m), &o.condIn, &o.condN, &o.misses)
	}
	o.leafCoverage(truth, m)
	ops := 0
	for _, c := range m.Components {
		if c.Service != "" && c.Operation != "" && truth.Components[c.Name] != nil {
			ops++
		} else {
			o.misses = append(o.misses, fmt.Sprintf("component %s (service %q, operation %q) is not one operation of the truth", c.Name, c.Service, c.Operation))
		}
	}
	if allQuirks.Duplicates && g.Stats().Duplicates == 0 {
		t.Errorf("journey with seed %d: no duplicate dropped", seed)
	}
	return o, len(m.Components) - ops, m
}

// TestRoundTripQuirks is the round trip of real instrumentation: random
// journeys (those of TestRoundTripRandom, with a loop and a group of
// co-occurring optional calls written in where the tree allows) emitted
// with every quirk — no span kinds, no span status (HTTP, gRPC or no
// codes per service), Zipkin shared spans, duplicated spans,
// asynchronous cancellation, 25 ms clock skews, two operations per
// service — written as Zipkin v2 JSON and discovered. It checks the
// tree (up to equivalence), that every component is one operation, and
// that the leaves' availability intervals (failures attributed by status,
// codes or truncation) hold the truth. Run with -v for the figures;
// -quirks.journeys 200 (or EMAC_LONG=1) for the full run.
func TestRoundTripQuirks(t *testing.T) {
	want := *qtJourneys
	if !flagSet("quirks.journeys") {
		want = testenv.Size(t, want, qtReduced)
	}
	if testing.Short() {
		want = min(want, 10)
	}
	var tl rtTally
	notOps := 0
	for i := *qtFirst; tl.journeys < want && i < *qtFirst+4*want; i++ {
		j := randomJourney(uint64(i), 3+i%6)
		o, bad := quirkRoundTrip(t, j, *qtRequests, uint64(5000+i))
		if o.unseen != "" {
			tl.unseen++
			t.Logf("journey %d not exercised by its sample: %s", i, o.unseen)
			continue
		}
		tl.add(o)
		notOps += bad
		if o.structure != "" {
			t.Logf("journey %d: %s\n  want %s\n  got  %s", i, o.structure, renamedString(j, i), o.got)
		}
		for _, s := range append(o.params, o.misses...) {
			t.Logf("journey %d: %s", i, s)
		}
	}
	t.Logf("%d journeys exercised by their sample, %d more left out as not exercised", tl.journeys, tl.unseen)
	t.Logf("structure %d/%d, parameters %d/%d, components not an operation %d", tl.structure, tl.journeys, tl.params, tl.journeys, notOps)
	t.Logf("95%% interval coverage: availabilities %d/%d, Cond probabilities %d/%d, p99 %d/%d",
		tl.availIn, tl.availN, tl.condIn, tl.condN, tl.p99In, tl.p99N)
	if r := rate(tl.structure, tl.journeys); r < 0.9 {
		t.Errorf("structure success rate %.3f, want at least 0.90", r)
	}
	if r := rate(tl.availIn, tl.availN); r < 0.9 {
		t.Errorf("availability coverage %.3f, want at least 0.90", r)
	}
	if notOps > 0 {
		t.Errorf("%d components are not one operation each", notOps)
	}
}

// renamedString prints the shape-quirked truth of journey i.
func renamedString(j *model.Journey, i int) string {
	allQuirks, _ := sim.ParseQuirks(*qtList)
	q := sim.ApplyShapeQuirks(j, allQuirks, uint64(5000+i))
	ids := sim.Identities(q, allQuirks)
	names := map[string]string{}
	for _, c := range slices.Sorted(maps.Keys(ids)) {
		names[c] = displayName(compKey{ids[c].Service, ids[c].Operation})
	}
	return renamed(q, names).Root.String()
}
