package trace

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/emac-dev/emac/internal/limits"
)

// InputError is a structural error in an input file (bad JSON, truncated
// protobuf, an element over the size limit), with its position in the
// decompressed input.
type InputError struct {
	// File is the file's name.
	File string
	// Offset is the byte offset of the error.
	Offset int64
	// Line and Col are the 1-based line and byte column of Offset, or 0
	// when unknown (binary formats, standard input).
	Line, Col int
	// Err is the error.
	Err error
}

// Error returns "file:line:col: message", or "file: byte offset N:
// message" when the line is unknown.
func (e *InputError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("%s: byte offset %d: %v", e.File, e.Offset, e.Err)
}

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

// input is one file being read: it validates spans, counts them, and
// keeps warnings until their positions are known.
type input struct {
	name     string
	format   string
	stats    *Stats
	maxWarn  int
	maxBytes int64
	meter    *meter // the decoded stream's bound
	fn       func(*Span) error
	// reopen opens the raw input again, to turn byte offsets into
	// line:col; nil when that is impossible.
	reopen  func() (io.ReadCloser, error)
	lineCol bool // the format is text: positions are line:col
	pending []pendingWarning
	// offsetMap maps the offsets the reader reports to the input's (nil:
	// the same), when the reader sees a squeezed stream.
	offsetMap func(int64) int64
}

// inputOffset maps an offset the reader reports to the input's.
func (in *input) inputOffset(off int64) int64 {
	if in.offsetMap == nil {
		return off
	}
	return in.offsetMap(off)
}

type pendingWarning struct {
	off int64
	msg string
}

func newInput(name string, opts Options, st *Stats, reopen func() (io.ReadCloser, error), fn func(*Span) error) *input {
	max := opts.MaxWarnings
	if max == 0 {
		max = DefaultMaxWarnings
	}
	return &input{name: name, format: opts.Format, stats: st, maxWarn: max, maxBytes: opts.maxBytes(), fn: fn, reopen: reopen}
}

// read decodes one whole input. An input over Options.MaxBytes fails
// with the *limits.Error, whatever error the decoders made of it.
func (in *input) read(r io.Reader) error {
	in.stats.Files++
	d, err := decode(r, in.format, in.maxBytes, in.name)
	if err != nil {
		if limits.IsLimit(err) {
			return err
		}
		return &InputError{File: in.name, Err: err}
	}
	defer d.release()
	in.meter = d.last()
	if in.stats.Formats == nil {
		in.stats.Formats = map[string]int{}
	}
	in.stats.Formats[d.format]++
	err = in.readFormat(d.br, d.format)
	in.stats.Decoded += d.last().n
	if t := d.tripped(); t != nil {
		err = t
	}
	in.flushWarnings()
	return err
}

// readFormat reads a decoded input in format. A JSON input may start
// with a UTF-8 byte order mark.
func (in *input) readFormat(br *bufio.Reader, format string) error {
	in.lineCol = format != FormatOTLPProto && format != FormatUnknown
	var base int64
	if in.lineCol {
		if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
			n, _ := br.Discard(len(utf8BOM))
			base = int64(n)
		}
	}
	switch format {
	case "":
		return nil
	case FormatOTLP:
		return readOTLPJSON(in, br, base)
	case FormatOTLPProto:
		return readOTLPProto(in, br)
	case FormatJaeger:
		return readJaeger(in, br, base)
	case FormatZipkin:
		return readZipkin(in, br, base)
	case FormatUnknown:
		head, _ := br.Peek(8)
		return &InputError{File: in.name, Err: fmt.Errorf("%w: its first bytes (% x) are none of the formats tried: %s (each possibly gzip- or zstd-compressed)",
			ErrNotTraces, head, strings.Join(Formats, ", "))}
	}
	return &InputError{File: in.name, Err: fmt.Errorf("unknown format %q", format)}
}

// spend counts n more decoded bytes (n < 0 gives bytes back) against
// the input's bound, for data decoded beside the stream (a zstd frame of
// the protobuf format), and returns the limit error once it is exceeded.
func (in *input) spend(n int64) error {
	m := in.meter
	if m == nil {
		return nil
	}
	if m.lr.N < n {
		m.tripped = true
		return m.lr.Err
	}
	m.lr.N -= n
	m.n += n
	return nil
}

// left returns how many more decoded bytes the input may take.
func (in *input) left() int64 {
	if in.meter == nil {
		return in.maxBytes
	}
	return max(in.meter.lr.N, 0)
}

// emit validates s, then hands it on or skips it with a warning placed
// at off.
func (in *input) emit(s *Span, off int64) error {
	return in.emitAt(s, func() int64 { return off })
}

// emitAt is emit with the offset computed only when s is skipped.
func (in *input) emitAt(s *Span, off func() int64) error {
	if reason := normalize(s); reason != "" {
		in.skip(off(), fmt.Sprintf("span %q (id %q) skipped: %s", s.Name, s.SpanID, reason))
		return nil
	}
	in.stats.Spans++
	return in.fn(s)
}

// skip counts a skipped span and records a warning.
func (in *input) skip(off int64, msg string) {
	in.stats.Skipped++
	in.warn(off, msg)
}

// warn records a warning placed at off, if the cap allows.
func (in *input) warn(off int64, msg string) {
	if len(in.stats.Warnings)+len(in.pending) < in.maxWarn {
		in.pending = append(in.pending, pendingWarning{in.inputOffset(off), msg})
	}
}

// flushWarnings resolves the pending warnings' positions (one pass over
// the input) and appends them to the stats.
func (in *input) flushWarnings() {
	if len(in.pending) == 0 {
		return
	}
	offs := make([]int64, len(in.pending))
	for i, w := range in.pending {
		offs[i] = w.off
	}
	pos := in.positions(offs)
	for i, w := range in.pending {
		e := &InputError{File: in.name, Offset: w.off, Line: pos[i][0], Col: pos[i][1], Err: plainError(w.msg)}
		in.stats.Warnings = append(in.stats.Warnings, e.Error())
	}
	in.pending = nil
}

type plainError string

func (e plainError) Error() string { return string(e) }

// errorAt returns err as an *InputError placed at off.
func (in *input) errorAt(off int64, err error) error {
	off = in.inputOffset(off)
	p := in.positions([]int64{off})[0]
	return &InputError{File: in.name, Offset: off, Line: p[0], Col: p[1], Err: err}
}

// positions turns byte offsets of the decoded input into line:col pairs
// ({0, 0} when unknown) by reading the input again.
func (in *input) positions(offs []int64) [][2]int {
	out := make([][2]int, len(offs))
	if !in.lineCol || in.reopen == nil {
		return out
	}
	rc, err := in.reopen()
	if err != nil {
		return out
	}
	defer rc.Close()
	d, err := decode(rc, FormatOTLP, in.maxBytes, in.name)
	if err != nil {
		return out
	}
	defer d.release()
	order := make([]int, len(offs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return offs[order[a]] < offs[order[b]] })
	lineCols(d.br, offs, order, out)
	return out
}

// lineCols fills out[i] for the offsets offs[order[0]] ≤ offs[order[1]] ≤ …
// A byte order mark at the start takes no column.
func lineCols(br *bufio.Reader, offs []int64, order []int, out [][2]int) {
	var pos int64
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		n, _ := br.Discard(len(utf8BOM))
		pos = int64(n)
	}
	line, col := 1, 1
	k := 0
	for k < len(order) {
		for k < len(order) && offs[order[k]] <= pos {
			out[order[k]] = [2]int{line, col}
			k++
		}
		b, err := br.ReadByte()
		if err != nil {
			break
		}
		pos++
		col++
		if b == '\n' {
			line, col = line+1, 1
		}
	}
	for ; k < len(order); k++ {
		out[order[k]] = [2]int{line, col}
	}
}

// normalize canonicalises s's identifiers (lower-case hex, trace IDs of
// 16 digits padded to 32) and returns why s is invalid, or "".
func normalize(s *Span) string {
	var ok bool
	if s.TraceID, ok = normID(s.TraceID, 32); !ok {
		return fmt.Sprintf("bad trace ID %q", s.TraceID)
	}
	if s.SpanID, ok = normID(s.SpanID, 16); !ok {
		return fmt.Sprintf("bad span ID %q", s.SpanID)
	}
	if s.ParentID != "" {
		if isZeros(s.ParentID) {
			s.ParentID = ""
		} else if s.ParentID, ok = normID(s.ParentID, 16); !ok {
			return fmt.Sprintf("bad parent span ID %q", s.ParentID)
		}
	}
	if s.End < s.Start {
		return fmt.Sprintf("ends %d ns before it starts", s.Start-s.End)
	}
	return ""
}

// normID returns id as n lower-case hex digits (left-padded with zeros),
// and false if it is empty, all zeros, too long or not hex.
func normID(id string, n int) (string, bool) {
	if len(id) == n && isLowerHex(id) && !isZeros(id) {
		return id, true
	}
	if id == "" || len(id) > n || isZeros(id) {
		return id, false
	}
	low := strings.ToLower(id)
	if !isLowerHex(low) {
		return id, false
	}
	return strings.Repeat("0", n-len(low)) + low, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func isZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
