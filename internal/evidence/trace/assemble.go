package trace

import (
	"sort"

	"github.com/emac-dev/emac/internal/limits"
)

// DefaultWindow is the default assembler window, in spans.
const DefaultWindow = 100_000

// minRecent is the least number of flushed trace IDs an Assembler
// remembers to count reopened traces.
const minRecent = 1 << 16

// Assembler groups a stream of spans into traces with bounded memory.
//
// A trace is handed on (flushed) once none of its spans arrived among the
// last Window spans of the stream, or at Close. The window trades memory
// for completeness: the open traces hold at most the spans of the traces
// seen in the last Window spans, so memory grows with Window; a trace
// whose spans are spread over more than Window other spans is flushed
// early and handed on again in pieces when its later spans arrive. Inputs
// written trace by trace (Jaeger exports, emac's writers, the collector's
// file exporter behind a groupbytrace processor) need only a small window;
// raw collector output, where a trace's spans arrive in several batches,
// needs Window ≥ spans per second × the longest trace's duration plus the
// exporter's batching delay. Stats.Reopened counts the traces flushed
// early and then seen again (the last max(Window, 65536) flushed trace
// IDs are remembered), so a caller can tell whether the window was too
// small.
//
// A span whose trace and span IDs repeat those of a span of its open
// trace (at-least-once export sends batches again) is dropped and counted
// in Stats.Duplicates; a repeat that arrives after its trace was flushed
// is not recognised, and shows as a reopened trace. LimitSpans bounds the
// spans of one trace.
type Assembler struct {
	window   int
	maxSpans int // 0: no bound
	fn       func(trace []Span) error
	n        int64 // spans added
	open     map[string]*openTrace
	queue    []queued // (trace, arrival) of the last spans, oldest first
	head     int
	order    int64 // creation counter, for a deterministic final flush
	closed   recentSet
	stats    AssemblerStats
}

// AssemblerStats counts what an Assembler did.
type AssemblerStats struct {
	// Traces is the number of traces (or pieces of traces) handed on.
	Traces int
	// Reopened is the number of traces that received a span after they
	// had been flushed.
	Reopened int
	// MaxOpen is the largest number of traces open at once.
	MaxOpen int
	// Duplicates is the number of spans dropped because their trace and
	// span IDs repeated those of an earlier span of their open trace.
	Duplicates int
}

type openTrace struct {
	spans []Span
	ids   map[string]struct{} // the span IDs, once there are more than linearIDs
	last  int64               // arrival number of its latest span
	order int64
}

// linearIDs is the number of spans up to which a trace's span IDs are
// searched linearly rather than kept in a set.
const linearIDs = 16

// has reports whether the trace holds a span with the ID id.
func (t *openTrace) has(id string) bool {
	if t.ids != nil {
		_, ok := t.ids[id]
		return ok
	}
	for i := range t.spans {
		if t.spans[i].SpanID == id {
			return true
		}
	}
	return false
}

// add appends s, indexing the span IDs once the trace is long.
func (t *openTrace) add(s *Span) {
	t.spans = append(t.spans, *s)
	switch {
	case t.ids != nil:
		t.ids[s.SpanID] = struct{}{}
	case len(t.spans) > linearIDs:
		t.ids = make(map[string]struct{}, 2*len(t.spans))
		for i := range t.spans {
			t.ids[t.spans[i].SpanID] = struct{}{}
		}
	}
}

type queued struct {
	id string
	at int64
}

// NewAssembler returns an assembler that hands each trace to fn, its
// spans in arrival order; fn may keep the slice. A window ≤ 0 means
// DefaultWindow.
func NewAssembler(window int, fn func(trace []Span) error) *Assembler {
	if window <= 0 {
		window = DefaultWindow
	}
	return &Assembler{
		window: window,
		fn:     fn,
		open:   map[string]*openTrace{},
		closed: newRecentSet(max(window, minRecent)),
	}
}

// LimitSpans bounds the spans of one trace to n (n ≤ 0: no bound): the
// span that would make a trace longer makes Add fail with a
// *limits.Error naming the trace ID and limits.FlagSpansPerTrace.
func (a *Assembler) LimitSpans(n int) { a.maxSpans = max(n, 0) }

// Add adds one span, flushing the traces that fell out of the window. It
// returns the first error of fn, or a *limits.Error when the span's
// trace would exceed the LimitSpans bound. A repeated span is dropped.
func (a *Assembler) Add(s *Span) error {
	t := a.open[s.TraceID]
	if t != nil && t.has(s.SpanID) {
		a.stats.Duplicates++
		return nil
	}
	if t != nil && a.maxSpans > 0 && len(t.spans) >= a.maxSpans {
		return &limits.Error{What: "trace " + s.TraceID, Limit: int64(a.maxSpans), Unit: "spans", Flag: limits.FlagSpansPerTrace}
	}
	a.n++
	if t == nil {
		if a.closed.has(s.TraceID) {
			a.stats.Reopened++
			a.closed.remove(s.TraceID)
		}
		a.order++
		t = &openTrace{order: a.order}
		a.open[s.TraceID] = t
		a.stats.MaxOpen = max(a.stats.MaxOpen, len(a.open))
	}
	t.add(s)
	t.last = a.n
	a.queue = append(a.queue, queued{s.TraceID, a.n})
	return a.expire()
}

// expire flushes the traces whose latest span is older than the window.
func (a *Assembler) expire() error {
	for a.head < len(a.queue) && a.queue[a.head].at <= a.n-int64(a.window) {
		q := a.queue[a.head]
		a.queue[a.head] = queued{}
		a.head++
		if t := a.open[q.id]; t != nil && t.last == q.at {
			if err := a.flush(q.id, t); err != nil {
				return err
			}
		}
	}
	if a.head > len(a.queue)/2 && a.head > 1024 {
		a.queue = append(a.queue[:0], a.queue[a.head:]...)
		a.head = 0
	}
	return nil
}

func (a *Assembler) flush(id string, t *openTrace) error {
	delete(a.open, id)
	a.closed.add(id)
	a.stats.Traces++
	return a.fn(t.spans)
}

// Close flushes every open trace, in the order the traces were first
// seen, and returns the first error of fn.
func (a *Assembler) Close() error {
	ids := make([]string, 0, len(a.open))
	for id := range a.open {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return a.open[ids[i]].order < a.open[ids[j]].order })
	for _, id := range ids {
		if err := a.flush(id, a.open[id]); err != nil {
			return err
		}
	}
	a.queue, a.head = nil, 0
	return nil
}

// Stats returns the counts so far.
func (a *Assembler) Stats() AssemblerStats { return a.stats }

// recentSet remembers the last limit strings added.
type recentSet struct {
	limit int
	ring  []string
	next  int
	seq   int64
	set   map[string]int64 // id → sequence number of its latest add
	ringS []int64
}

func newRecentSet(limit int) recentSet {
	return recentSet{limit: limit, set: map[string]int64{}}
}

func (r *recentSet) has(id string) bool { _, ok := r.set[id]; return ok }

func (r *recentSet) remove(id string) { delete(r.set, id) }

func (r *recentSet) add(id string) {
	r.seq++
	if len(r.ring) < r.limit {
		r.ring = append(r.ring, id)
		r.ringS = append(r.ringS, r.seq)
	} else {
		if old := r.ring[r.next]; r.set[old] == r.ringS[r.next] {
			delete(r.set, old)
		}
		r.ring[r.next], r.ringS[r.next] = id, r.seq
		r.next = (r.next + 1) % r.limit
	}
	r.set[id] = r.seq
}
