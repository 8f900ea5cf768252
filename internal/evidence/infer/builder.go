package infer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// status is a call's outcome as its client span shows it.
type status uint8

const (
	stOK      status = iota
	stErr            // the callee answered with an error
	stCut            // cut by a deadline (error.type "timeout")
	stCancel         // cancelled (error.type "cancelled")
	stStopped        // a cut or cancel already explained by an enclosing operator
)

// call is one call of a journey instance. Times are nanoseconds after the
// journey root's start, on the caller's clock unless skewed.
type call struct {
	comp       int32
	res        int32 // index of the callee's resource attributes, −1 if none
	start, end int64
	st         status
	ev         evidence // where a failure (or cut, cancel) was read
	known      bool     // the spans record the outcome either way
	skewed     bool     // times come from the callee's server span
}

// instance is one run of the journey: a span of the selected operation
// and the calls made below it.
type instance struct {
	trace  int32 // index into Builder.traceIDs
	src    int32
	start  int64 // Unix ns
	dur    int64
	failed bool
	known  bool   // the root span records the outcome either way
	calls  []call // sorted by start, then component
}

// group holds the instances of one journey operation.
type group struct {
	service, op string
	insts       []instance
}

// Builder accumulates traces and infers a journey model from them. It is
// not safe for concurrent use.
type Builder struct {
	opts     Options
	svc, op  string // the selection; op == "" when none
	groups   map[string]*group
	comps    []*compInfo
	compIdx  map[compKey]int32
	res      []map[string]string // distinct domain-relevant resource attributes
	resIdx   map[string]int32
	traceIDs []string
	srcs     []string
	srcIdx   map[string]int32
	cands    map[string]*candAcc
	notes    map[string]int
	spans    spanCounts
}

// spanCounts counts what the spans read show, to explain a journey
// without calls.
type spanCounts struct {
	spans, kinded, parented, status int
	unkinded                        int // traces without any span kind
}

// compInfo is what the spans tell about a component beyond its calls.
type compInfo struct {
	key        compKey
	spanNames  map[spanName]int
	db         string // db.system seen on client spans
	server     bool   // a server span of the component was seen
	downstream map[string]int
	skewSum    float64 // Σ (server midpoint − client midpoint), ns
	delaySum   float64 // Σ server start − client start − skew, ns
	skewN      int
}

// candAcc accumulates one candidate operation.
type candAcc struct {
	Candidate
	calls  int
	lastTr int32
}

// NewBuilder returns a Builder for opts.
func NewBuilder(opts Options) *Builder {
	b := &Builder{
		opts: opts.withDefaults(), groups: map[string]*group{}, compIdx: map[compKey]int32{},
		resIdx: map[string]int32{}, srcIdx: map[string]int32{}, cands: map[string]*candAcc{},
		notes: map[string]int{},
	}
	b.svc, b.op = splitJourney(opts.Journey)
	return b
}

// splitJourney splits "service operation" at its first space; an operation
// name alone (no space) has no service.
func splitJourney(s string) (svc, op string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ' '); i > 0 {
		return s[:i], strings.TrimSpace(s[i+1:])
	}
	return "", s
}

// Add adds one assembled trace read from src. Spans of other traces mixed
// in are ignored with a note; spans may come in any order.
func (b *Builder) Add(src string, spans []trace.Span) {
	if len(spans) == 0 {
		return
	}
	t := newTraceIndex(spans)
	if t.mixed {
		b.note("some traces mix spans of several trace IDs; only the first trace ID's spans are used")
	}
	b.count(t)
	tr := int32(len(b.traceIDs))
	b.traceIDs = append(b.traceIDs, t.spans[0].TraceID)
	b.countCandidates(t, tr)
	roots := b.journeyRoots(t)
	if len(roots) == 0 {
		return
	}
	si := b.source(src)
	for _, r := range roots {
		g := b.groupOf(&t.spans[r])
		in := b.instance(t, r, len(roots) == 1)
		in.trace, in.src = tr, si
		g.insts = append(g.insts, in)
	}
}

// count counts what the trace's spans show.
func (b *Builder) count(t *traceIndex) {
	if !t.kinded {
		b.spans.unkinded++
		b.note("spans without any kind (client, server…) were read; client and server roles were inferred from the service changing between parent and child")
	}
	for i := range t.spans {
		s := &t.spans[i]
		b.spans.spans++
		if s.Kind != trace.KindUnspecified && t.kinded {
			b.spans.kinded++
		}
		if s.ParentID != "" {
			b.spans.parented++
		}
		if _, _, known := spanOutcome(s, s.Kind == trace.KindClient); known {
			b.spans.status++
		}
	}
}

// NoteDuplicates records that n repeated spans were dropped before the
// traces were added.
func (b *Builder) NoteDuplicates(n int) {
	b.notes[fmt.Sprintf("%d repeated spans (the same trace and span IDs, as at-least-once export repeats them) were dropped", n)]++
}

// NoteSplit records that at least n traces were added in pieces (a
// lower bound: an assembler recognises only the recently flushed traces).
func (b *Builder) NoteSplit(n int) {
	b.notes[fmt.Sprintf("at least %d traces were read in pieces (split by the assembler's window): their instances are incomplete", n)]++
}

func (b *Builder) source(src string) int32 {
	i, ok := b.srcIdx[src]
	if !ok {
		i = int32(len(b.srcs))
		b.srcIdx[src] = i
		b.srcs = append(b.srcs, src)
	}
	return i
}

func (b *Builder) note(s string) { b.notes[s]++ }

// groupOf returns the group of a journey root span: one group when a
// journey is selected, else one per root operation.
func (b *Builder) groupOf(s *trace.Span) *group {
	key, svc, op := "", b.svc, b.op
	if b.op == "" {
		svc, op = s.Service, s.Name
		key = svc + "\x00" + op
	}
	g := b.groups[key]
	if g == nil {
		g = &group{service: svc, op: op}
		b.groups[key] = g
	}
	if g.service == "" {
		g.service = s.Service // an operation selected alone: its first root's service
	}
	return g
}

// journeyRoots returns the spans that root a journey instance: the
// outermost spans of the selected operation, or the trace's root spans
// when no journey is selected.
func (b *Builder) journeyRoots(t *traceIndex) []int {
	var out []int
	if b.op == "" {
		for i := range t.spans {
			if t.parent[i] < 0 && t.spans[i].ParentID == "" {
				out = append(out, i)
			}
		}
		if len(out) == 0 && len(t.spans) > 0 {
			out = append(out, t.earliest())
		}
		return out
	}
	match := make([]bool, len(t.spans))
	for i := range t.spans {
		match[i] = b.matches(&t.spans[i])
	}
	above := t.ancestorMatches(match)
	for i := range t.spans {
		if match[i] && !above[i] {
			out = append(out, i)
		}
	}
	return out
}

// matches reports whether s is a span of the selected operation. A
// client or producer span never is: with RPC naming the caller's span
// carries the callee's operation name, and the journey is what the
// callee does.
func (b *Builder) matches(s *trace.Span) bool {
	if s.Kind == trace.KindClient || s.Kind == trace.KindProducer {
		return false
	}
	if b.svc != "" && s.Service == b.svc && s.Name == b.op {
		return true
	}
	full := b.op
	if b.svc != "" {
		full = b.svc + " " + b.op
	}
	return s.Name == full
}

// countCandidates counts the trace's root operations and the server
// operations right below them.
func (b *Builder) countCandidates(t *traceIndex, tr int32) {
	for i := range t.spans {
		if t.parent[i] >= 0 || t.spans[i].ParentID != "" {
			continue
		}
		b.candidate(t, i, true, tr)
		for _, c := range t.callees(i) {
			if len(t.directCalls(c)) > 0 {
				b.candidate(t, c, false, tr)
			}
		}
	}
}

func (b *Builder) candidate(t *traceIndex, i int, root bool, tr int32) {
	s := &t.spans[i]
	key := s.Service + "\x00" + s.Name
	c := b.cands[key]
	if c == nil {
		c = &candAcc{Candidate: Candidate{Service: s.Service, Operation: s.Name}, lastTr: -1}
		b.cands[key] = c
	}
	c.Root = c.Root || root
	if c.lastTr != tr {
		c.lastTr = tr
		c.Traces++
	}
	c.calls += len(t.directCalls(i))
}

// Candidates returns the candidate journey operations, most frequent
// first, then by service and operation.
func (b *Builder) Candidates() []Candidate {
	out := make([]Candidate, 0, len(b.cands))
	for _, c := range b.cands {
		cd := c.Candidate
		if cd.Traces > 0 {
			cd.Calls = float64(c.calls) / float64(cd.Traces)
		}
		out = append(out, cd)
	}
	slices.SortFunc(out, func(x, y Candidate) int {
		return cmp.Or(cmp.Compare(y.Traces, x.Traces), boolCmp(y.Root, x.Root),
			cmp.Compare(x.Service, y.Service), cmp.Compare(x.Operation, y.Operation))
	})
	return out
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
