package trace

import (
	"fmt"
	"sort"
	"strconv"

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
// is not recognised, and shows as a reopened trace. The two halves of a
// Zipkin shared span (a client and a server span with one ID) are not
// repeats: the server half gets an ID of its own and becomes the client
// half's child (Span.Shared). LimitSpans bounds the spans of one trace.
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
	ids   map[string]int   // span ID → index, once there are more than linearIDs
	more  map[string][]int // further spans of a reused span ID (with ids)
	last  int64            // arrival number of its latest span
	order int64
	dups  int // spans dropped as repeats
}

// linearIDs is the number of spans up to which a trace's span IDs are
// searched linearly rather than kept in a set.
const linearIDs = 16

// find returns the index of the span with the ID id, −1 if none.
func (t *openTrace) find(id string) int {
	if t.ids != nil {
		if k, ok := t.ids[id]; ok {
			return k
		}
		return -1
	}
	for i := range t.spans {
		if t.spans[i].SpanID == id {
			return i
		}
	}
	return -1
}

// add appends s unless it repeats a span of the trace (then it reports
// false): a span with the same ID, role (client or server half) and
// times. A server span whose ID is that of a client span of the trace,
// or the reverse, is the other half of a Zipkin shared span: the server
// half takes an ID of its own (sharedID) and the client half as parent.
// Spans that share an ID but not their times (an ID reused, as by a
// message delivered to several consumers) are all kept.
func (t *openTrace) add(s *Span) bool {
	k := t.find(s.SpanID)
	if k < 0 {
		t.push(s)
		return true
	}
	own := sharedID(s.SpanID)
	for _, j := range t.withID(s.SpanID, own) {
		if o := &t.spans[j]; serverRole(o) == serverRole(s) && o.Start == s.Start && o.End == s.End {
			t.dups++
			return false
		}
	}
	o := &t.spans[k]
	if serverRole(o) == serverRole(s) || t.find(own) >= 0 {
		t.push(s) // a reused ID
		return true
	}
	id := s.SpanID
	if serverRole(o) {
		o.SpanID, o.ParentID, o.Shared = own, id, true
		if t.ids != nil {
			t.ids[own] = k
		}
		t.push(s)
		if t.ids != nil {
			t.ids[id] = len(t.spans) - 1
		}
		return true
	}
	h := *s
	h.SpanID, h.ParentID, h.Shared = own, id, true
	t.push(&h)
	return true
}

// withID returns the indices of the spans whose ID is id or shared (a
// shared server half's own ID).
func (t *openTrace) withID(id, shared string) []int {
	var out []int
	if t.ids == nil {
		for i := range t.spans {
			if t.spans[i].SpanID == id || t.spans[i].SpanID == shared {
				out = append(out, i)
			}
		}
		return out
	}
	for _, x := range []string{id, shared} {
		if k, ok := t.ids[x]; ok && t.spans[k].SpanID == x {
			out = append(out, k)
		}
		out = append(out, t.more[x]...)
	}
	return out
}

// push appends s, indexing the span IDs once the trace is long.
func (t *openTrace) push(s *Span) {
	t.spans = append(t.spans, *s)
	switch {
	case t.ids != nil:
		t.index(len(t.spans) - 1)
	case len(t.spans) > linearIDs:
		t.ids = make(map[string]int, 2*len(t.spans))
		for i := range t.spans {
			t.index(i)
		}
	}
}

// index records span i in ids (or more, when its ID is taken).
func (t *openTrace) index(i int) {
	id := t.spans[i].SpanID
	if k, ok := t.ids[id]; ok && t.spans[k].SpanID == id {
		if t.more == nil {
			t.more = map[string][]int{}
		}
		t.more[id] = append(t.more[id], i)
		return
	}
	t.ids[id] = i
}

// serverRole reports whether s answers a call: a server span or the
// server half of a shared span.
func serverRole(s *Span) bool { return s.Shared || s.Kind == KindServer }

// sharedID is the span ID given to the server half of a shared span
// whose ID is id (16 lower-case hex digits): id with its bits mixed by a
// constant, never id itself.
func sharedID(id string) string {
	v, err := strconv.ParseUint(id, 16, 64)
	if err != nil {
		return id + "s"
	}
	w := v ^ 0x9e3779b97f4a7c15
	if w == 0 {
		w = 1
	}
	return fmt.Sprintf("%016x", w)
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
	if t != nil && a.maxSpans > 0 && len(t.spans) >= a.maxSpans && t.find(s.SpanID) < 0 {
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
	if !t.add(s) {
		a.stats.Duplicates++
		a.n--
		return nil
	}
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
