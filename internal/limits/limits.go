// Package limits bounds what emac reads and computes from untrusted input.
//
// Every input is untrusted: a spec from a pull request, a trace file from a
// live system, a manifest from another team. Each limit has a default that
// fits real journeys with room to spare, a command-line flag that raises or
// lowers it, and an error (*Error) that names the limit and the flag, so a
// user who meets one knows what to change. Stages receive a Limits value;
// only the command line reads flags.
package limits

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Limits are the bounds one run of emac works under. The zero value of a
// field means "use the default" (see Default and Or).
type Limits struct {
	// FileBytes bounds each spec, manifest, mesh, model or samples file.
	FileBytes int64
	// TraceBytes bounds each trace input, counted after decompression.
	TraceBytes int64
	// SpansPerTrace bounds the spans of one trace (or of one journey
	// instance) kept for inference.
	SpansPerTrace int
	// Nodes bounds the operator tree's nodes (leaves and operators).
	Nodes int
	// Depth bounds the operator tree's nesting.
	Depth int
	// RetryAttempts bounds a Retry's attempts.
	RetryAttempts int
	// Branches bounds the children of one operator (KofN n, Race,
	// Parallel, Cond, Series).
	Branches int
	// Samples bounds the requests `emac simulate` plays.
	Samples int
	// LeafSamples bounds the latency samples of one component's evidence
	// (an inline samples list or a samplesFile).
	LeafSamples int
	// Components bounds the distinct components discovery infers one
	// journey over (inference relates every pair of them).
	Components int
}

// The flag of each limit, as written on the command line.
const (
	FlagFileBytes     = "max-file-bytes"
	FlagTraceBytes    = "max-trace-bytes"
	FlagSpansPerTrace = "max-spans-per-trace"
	FlagNodes         = "max-nodes"
	FlagDepth         = "max-depth"
	FlagRetryAttempts = "max-retry-attempts"
	FlagBranches      = "max-branches"
	FlagSamples       = "max-samples"
	FlagLeafSamples   = "max-leaf-samples"
	FlagComponents    = "max-components"
)

// Default returns the limits emac uses unless told otherwise. They are
// generous for real journeys (hundreds of components, traces of
// thousands of spans, retry counts in the tens) and keep the worst input
// within a few GiB of memory and minutes of work on two cores.
func Default() Limits {
	return Limits{
		FileBytes:     16 << 20,
		TraceBytes:    16 << 30,
		SpansPerTrace: 100_000,
		Nodes:         10_000,
		Depth:         64,
		RetryAttempts: 100,
		Branches:      10_000,
		Samples:       100_000_000,
		LeafSamples:   1_000_000,
		Components:    1_000,
	}
}

// Or returns l with every zero field taken from Default.
func (l Limits) Or() Limits {
	d := Default()
	pick := func(v, def int) int {
		if v == 0 {
			return def
		}
		return v
	}
	if l.FileBytes == 0 {
		l.FileBytes = d.FileBytes
	}
	if l.TraceBytes == 0 {
		l.TraceBytes = d.TraceBytes
	}
	l.SpansPerTrace = pick(l.SpansPerTrace, d.SpansPerTrace)
	l.Nodes = pick(l.Nodes, d.Nodes)
	l.Depth = pick(l.Depth, d.Depth)
	l.RetryAttempts = pick(l.RetryAttempts, d.RetryAttempts)
	l.Branches = pick(l.Branches, d.Branches)
	l.Samples = pick(l.Samples, d.Samples)
	l.LeafSamples = pick(l.LeafSamples, d.LeafSamples)
	l.Components = pick(l.Components, d.Components)
	return l
}

// Validate refuses a limit below 1 (set on the command line, a zero or a
// negative value would switch the limit off or make every input fail),
// naming its flag.
func (l Limits) Validate() error {
	for _, c := range []struct {
		flag string
		v    int64
	}{
		{FlagFileBytes, l.FileBytes}, {FlagTraceBytes, l.TraceBytes}, {FlagSpansPerTrace, int64(l.SpansPerTrace)},
		{FlagNodes, int64(l.Nodes)}, {FlagDepth, int64(l.Depth)}, {FlagRetryAttempts, int64(l.RetryAttempts)},
		{FlagBranches, int64(l.Branches)}, {FlagSamples, int64(l.Samples)}, {FlagLeafSamples, int64(l.LeafSamples)},
		{FlagComponents, int64(l.Components)},
	} {
		if c.v < 1 {
			return fmt.Errorf("--%s must be at least 1, got %d", c.flag, c.v)
		}
	}
	return nil
}

// Error says that an input went over a limit.
type Error struct {
	// What went over, e.g. "trace file traces.json" or "Retry attempts".
	What string
	// Limit is the bound that was exceeded.
	Limit int64
	// Unit is "bytes", "spans", "nodes"… ("" for a bare count).
	Unit string
	// Flag is the flag that sets the limit (without dashes).
	Flag string
}

// Error renders the limit error: what went over, the limit and the flag.
func (e *Error) Error() string {
	unit := ""
	if e.Unit != "" {
		unit = " " + e.Unit
	}
	return fmt.Sprintf("%s exceeds the limit of %s%s (raise it with --%s)", e.What, Count(e.Limit), unit, e.Flag)
}

// Count formats n with thin grouping for messages: 16777216 → "16,777,216".
func Count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// IsLimit reports whether err is (or wraps) a limit *Error.
func IsLimit(err error) bool {
	var le *Error
	return errors.As(err, &le)
}

// Reader reads at most N bytes from R and then fails with Err instead of
// returning io.EOF, so that an endless stream (/dev/zero, a pipe that never
// closes its write end) stops at the limit rather than filling memory.
type Reader struct {
	R    io.Reader
	N    int64 // bytes still allowed
	Err  *Error
	over bool // the limit was hit: fail without reading again
}

// NewReader returns a Reader that allows n bytes of r before failing with
// the limit error describing what (under flag).
func NewReader(r io.Reader, n int64, what, flag string) *Reader {
	return &Reader{R: r, N: n, Err: &Error{What: what, Limit: n, Unit: "bytes", Flag: flag}}
}

// Read reads from R until N bytes have come, then fails with Err (after
// reading one byte more to tell an input of exactly N bytes from a
// longer one).
func (l *Reader) Read(p []byte) (int, error) {
	if l.over {
		return 0, l.Err
	}
	if l.N <= 0 {
		// One byte more tells a file of exactly N bytes from a longer one.
		var one [1]byte
		n, err := l.R.Read(one[:])
		if n > 0 {
			l.over = true
			return 0, l.Err
		}
		return 0, err
	}
	if int64(len(p)) > l.N {
		p = p[:l.N]
	}
	n, err := l.R.Read(p)
	l.N -= int64(n)
	return n, err
}

// ReadFile reads the named file, or fails with a limit error naming flag
// once it is longer than n bytes. It never reads more than n+1 bytes, so
// character devices and endless pipes stop at the limit.
func ReadFile(name string, n int64, flag string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAll(f, n, "file "+name, flag)
}

// ReadAll reads r to its end, or fails with a limit error (describing
// what, under flag) once more than n bytes have come.
func ReadAll(r io.Reader, n int64, what, flag string) ([]byte, error) {
	var size int64
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
			if size > n {
				return nil, &Error{What: what + " (" + Count(size) + " bytes)", Limit: n, Unit: "bytes", Flag: flag}
			}
		}
	}
	buf := make([]byte, 0, min(size, n)+512)
	lr := NewReader(r, n, what, flag)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := lr.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}
