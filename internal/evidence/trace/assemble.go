package trace

import "sort"

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
type Assembler struct {
	window int
	fn     func(trace []Span) error
	n      int64 // spans added
	open   map[string]*openTrace
	queue  []queued // (trace, arrival) of the last spans, oldest first
	head   int
	order  int64 // creation counter, for a deterministic final flush
	closed recentSet
	stats  AssemblerStats
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
}

type openTrace struct {
	spans []Span
	last  int64 // arrival number of its latest span
	order int64
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

// Add adds one span, flushing the traces that fell out of the window. It
// returns the first error of fn.
func (a *Assembler) Add(s *Span) error {
	a.n++
	t := a.open[s.TraceID]
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
	t.spans = append(t.spans, *s)
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
