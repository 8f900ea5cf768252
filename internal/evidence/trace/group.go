package trace

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/emac-dev/emac/internal/limits"
)

// DefaultGroupMemory is GroupOptions.MemoryBytes when unset.
const DefaultGroupMemory = 64 << 20

// Partitions of a Grouper: the spans are spread over groupParts
// partitions by a hash of their trace ID, so that one partition at a time
// is grouped; a partition larger than half the memory bound is split
// again (up to groupLevels times, with another hash each time).
const (
	groupParts  = 64
	groupLevels = 4
)

// GroupOptions configures a Grouper.
type GroupOptions struct {
	// Dir is where spilled spans go: a new directory is made there
	// (os.TempDir() when empty) at the first spill, and removed by
	// Close or Discard.
	Dir string
	// MemoryBytes bounds the encoded spans held in memory; beyond it they
	// are spilled to disk. 0 means DefaultGroupMemory.
	MemoryBytes int64
}

// GroupStats counts what a Grouper did.
type GroupStats struct {
	// Traces is the number of traces handed on, Spans their spans.
	Traces, Spans int
	// Duplicates is the number of spans dropped because their trace and
	// span IDs (and role: client or server half) repeated those of an
	// earlier span of their trace.
	Duplicates int
	// Spilled is the number of bytes written to disk.
	Spilled int64
}

// Grouper groups a stream of spans into whole traces whatever the order
// of the input — files written trace by trace, grouped by service, or
// spans of one trace in files hours apart — with bounded memory. Spans
// are encoded compactly as they are added and spread over partitions by
// trace ID; past GroupOptions.MemoryBytes the partitions are spilled to
// temporary files. Close then groups one partition at a time, so that
// memory holds at most about half the bound of encoded spans and their
// decoded traces. Duplicates are dropped and shared Zipkin spans joined
// as by an Assembler, exactly: no trace is ever split.
type Grouper struct {
	opts     GroupOptions
	maxSpans int
	parts    []*groupPart
	mem      int64
	dir      string
	enc      spanCodec
	seq      uint64
	srcs     []string
	srcIdx   map[string]uint64
	stats    GroupStats
	buf      []byte
}

// groupPart is one partition: the records spilled to its file, then
// those in buf.
type groupPart struct {
	file *os.File
	name string
	buf  bytes.Buffer
}

// NewGrouper returns a Grouper.
func NewGrouper(opts GroupOptions) *Grouper {
	if opts.MemoryBytes <= 0 {
		opts.MemoryBytes = DefaultGroupMemory
	}
	g := &Grouper{opts: opts, srcIdx: map[string]uint64{}, enc: newSpanCodec()}
	for range groupParts {
		g.parts = append(g.parts, &groupPart{})
	}
	return g
}

// LimitSpans bounds the spans of one trace to n (n ≤ 0: no bound): Close
// fails with a *limits.Error naming the trace and
// limits.FlagSpansPerTrace for a longer trace.
func (g *Grouper) LimitSpans(n int) { g.maxSpans = max(n, 0) }

// Stats returns the counts so far.
func (g *Grouper) Stats() GroupStats { return g.stats }

// Add adds a span read from src. It fails only when spilling to disk
// fails.
func (g *Grouper) Add(src string, s *Span) error {
	si, ok := g.srcIdx[src]
	if !ok {
		si = uint64(len(g.srcs))
		g.srcIdx[src] = si
		g.srcs = append(g.srcs, src)
	}
	g.seq++
	g.buf = g.enc.encode(g.buf[:0], s, g.seq, si)
	p := g.parts[partOf(s.TraceID, 0)]
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(g.buf)))
	p.buf.Write(hdr[:n])
	p.buf.Write(g.buf)
	g.mem += int64(n + len(g.buf))
	if g.mem > g.opts.MemoryBytes {
		return g.spill()
	}
	return nil
}

// spill appends every partition's buffer to its file.
func (g *Grouper) spill() error {
	if g.dir == "" {
		dir, err := os.MkdirTemp(g.opts.Dir, "emac-traces-")
		if err != nil {
			return fmt.Errorf("grouping traces: %w", err)
		}
		g.dir = dir
	}
	for i, p := range g.parts {
		if p.buf.Len() == 0 {
			continue
		}
		if p.file == nil {
			p.name = filepath.Join(g.dir, fmt.Sprintf("part-%02d", i))
			f, err := os.OpenFile(p.name, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("grouping traces: %w", err)
			}
			p.file = f
		}
		n, err := p.file.Write(p.buf.Bytes())
		g.stats.Spilled += int64(n)
		if err != nil {
			return fmt.Errorf("grouping traces: spilling to %s: %w", g.dir, err)
		}
		p.buf.Reset()
	}
	g.mem = 0
	return nil
}

// Discard removes the spilled spans without handing on any trace.
func (g *Grouper) Discard() {
	for _, p := range g.parts {
		if p.file != nil {
			p.file.Close()
			p.file = nil
		}
		p.buf = bytes.Buffer{}
	}
	if g.dir != "" {
		os.RemoveAll(g.dir)
		g.dir = ""
	}
}

// Close hands every trace to fn with the source of its root span (of
// its first span when none is without a parent: the file the trace's
// root came from, also when files are grouped by service), its spans in
// arrival order, one partition at a time (the traces of a
// partition in the order their first spans arrived), then removes the
// spilled spans. fn may keep the slice. It returns the first error of
// fn, a *limits.Error for a trace over the LimitSpans bound, or an error
// reading the spilled spans back.
func (g *Grouper) Close(fn func(src string, trace []Span) error) error {
	defer g.Discard()
	for _, p := range g.parts {
		data, err := g.load(p)
		if err != nil {
			return err
		}
		if err := g.group(data, 1, fn); err != nil {
			return err
		}
	}
	return nil
}

// load returns a partition's records: its file's, then its buffer's.
func (g *Grouper) load(p *groupPart) ([]byte, error) {
	if p.file == nil {
		data := p.buf.Bytes()
		p.buf = bytes.Buffer{}
		return data, nil
	}
	if err := p.file.Close(); err != nil {
		return nil, fmt.Errorf("grouping traces: %w", err)
	}
	p.file = nil
	data, err := os.ReadFile(p.name)
	if err != nil {
		return nil, fmt.Errorf("grouping traces: reading back %s: %w", p.name, err)
	}
	os.Remove(p.name)
	data = append(data, p.buf.Bytes()...)
	p.buf = bytes.Buffer{}
	return data, nil
}

// group hands on the traces of the records in data; when they take more
// than half the memory bound, they are first split by another hash of
// the trace ID.
func (g *Grouper) group(data []byte, level int, fn func(string, []Span) error) error {
	if int64(len(data)) > g.opts.MemoryBytes/2 && level < groupLevels {
		return g.split(data, level, fn)
	}
	type grouped struct {
		t      *openTrace
		src    uint64
		rooted bool // src is the root span's
	}
	traces := map[string]*grouped{}
	var order []*grouped
	for off := 0; off < len(data); {
		n, k := binary.Uvarint(data[off:])
		if k <= 0 || off+k+int(n) > len(data) {
			return errCorrupt
		}
		rec := data[off+k : off+k+int(n)]
		off += k + int(n)
		s, seq, src, err := g.enc.decode(rec)
		if err != nil || src >= uint64(len(g.srcs)) {
			return errCorrupt
		}
		gt := traces[s.TraceID]
		if gt == nil {
			gt = &grouped{t: &openTrace{order: int64(seq)}, src: src}
			traces[s.TraceID] = gt
			order = append(order, gt)
		} else if g.maxSpans > 0 && len(gt.t.spans) >= g.maxSpans && gt.t.find(s.SpanID) < 0 {
			return &limits.Error{What: "trace " + s.TraceID, Limit: int64(g.maxSpans), Unit: "spans", Flag: limits.FlagSpansPerTrace}
		}
		if !gt.t.add(&s) {
			g.stats.Duplicates++
		} else if s.ParentID == "" && !gt.rooted {
			gt.src, gt.rooted = src, true
		}
	}
	clear(traces)
	for i, gt := range order {
		order[i] = nil
		g.stats.Traces++
		g.stats.Spans += len(gt.t.spans)
		if err := fn(g.srcs[gt.src], gt.t.spans); err != nil {
			return err
		}
	}
	return nil
}

// split spreads the records of data over partitions by another hash of
// the trace ID, spilled to files, and groups each.
func (g *Grouper) split(data []byte, level int, fn func(string, []Span) error) error {
	if g.dir == "" {
		dir, err := os.MkdirTemp(g.opts.Dir, "emac-traces-")
		if err != nil {
			return fmt.Errorf("grouping traces: %w", err)
		}
		g.dir = dir
	}
	files := make([]*os.File, groupParts)
	names := make([]string, groupParts)
	defer func() {
		for i, f := range files {
			if f != nil {
				f.Close()
				os.Remove(names[i])
			}
		}
	}()
	for off := 0; off < len(data); {
		n, k := binary.Uvarint(data[off:])
		if k <= 0 || off+k+int(n) > len(data) {
			return errCorrupt
		}
		rec := data[off : off+k+int(n)]
		off += k + int(n)
		tid, _ := recordTraceID(rec[k:])
		i := partOf(tid, level)
		if files[i] == nil {
			names[i] = filepath.Join(g.dir, fmt.Sprintf("split-%d-%02d", level, i))
			f, err := os.OpenFile(names[i], os.O_CREATE|os.O_RDWR|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("grouping traces: %w", err)
			}
			files[i] = f
		}
		if _, err := files[i].Write(rec); err != nil {
			return fmt.Errorf("grouping traces: spilling to %s: %w", g.dir, err)
		}
		g.stats.Spilled += int64(len(rec))
	}
	data = nil
	for i, f := range files {
		if f == nil {
			continue
		}
		f.Close()
		files[i] = nil
		sub, err := os.ReadFile(names[i])
		os.Remove(names[i])
		if err != nil {
			return fmt.Errorf("grouping traces: reading back %s: %w", names[i], err)
		}
		if err := g.group(sub, level+1, fn); err != nil {
			return err
		}
	}
	return nil
}

// partOf returns the partition of a trace ID at a level of splitting
// (FNV-1a, salted by the level).
func partOf(tid string, level int) int {
	h := uint64(14695981039346656037) ^ uint64(level)*0x9e3779b97f4a7c15
	for i := 0; i < len(tid); i++ {
		h = (h ^ uint64(tid[i])) * 1099511628211
	}
	h ^= h >> 29
	return int(h % groupParts)
}
