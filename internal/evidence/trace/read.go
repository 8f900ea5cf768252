package trace

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/emac-dev/emac/internal/limits"
)

// DefaultMaxWarnings is how many warnings Stats keeps when
// Options.MaxWarnings is 0.
const DefaultMaxWarnings = 20

// maxElement bounds the bytes one streamed element may take: an OTLP JSON
// span or resource, an OTLP protobuf resourceSpans element, a Jaeger
// trace, a Zipkin span, a compressed protobuf frame. Memory use is about
// a small multiple of it at worst. (A variable so that tests can lower
// it.)
var maxElement int64 = 256 << 20

// headSize is how many bytes Detect is shown.
const headSize = 4096

// Options controls Read and ReadFrom.
type Options struct {
	// Format forces the format of every file (one of Formats); "" detects
	// it from each file's first bytes. Gzip and zstd compression are
	// always detected.
	Format string
	// Progress, when set, is called as input is consumed with the bytes
	// read so far (compressed bytes for compressed files) and the total
	// size of all files (0 when unknown, as for standard input). It is
	// called at most about once per MiB and once at the end of each file.
	Progress func(done, total int64)
	// MaxWarnings caps Stats.Warnings: 0 means DefaultMaxWarnings, a
	// negative value keeps none.
	MaxWarnings int
	// MaxBytes bounds each input, counted after decompression (and each
	// compressed layer before it): a longer input stops reading with a
	// *limits.Error naming limits.FlagTraceBytes, so that an endless
	// stream or a decompression bomb ends at the bound. 0 means the
	// default, limits.Default().TraceBytes.
	MaxBytes int64
}

// maxBytes returns o.MaxBytes or its default.
func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return limits.Default().TraceBytes
}

// Stats counts what Read consumed.
type Stats struct {
	// Files is the number of files read.
	Files int
	// Spans is the number of spans handed to the callback.
	Spans int
	// Skipped is the number of spans dropped as invalid (missing or
	// malformed IDs, end before start, values of the wrong type).
	Skipped int
	// Bytes is the number of bytes read from the files (before
	// decompression).
	Bytes int64
	// Decoded is the number of bytes of input read after decompression
	// (Bytes when nothing was compressed).
	Decoded int64
	// Formats counts the files read in each format (as detected, or as
	// forced), FormatUnknown for files refused as none of them.
	Formats map[string]int
	// Warnings describes skipped spans, "file:line:col: message" (or
	// "file: byte offset N: message" for binary input), at most
	// Options.MaxWarnings of them, in input order.
	Warnings []string
}

// Read streams the spans of the files and directories named by paths to
// fn, in file order, with the file each came from. Directories are walked
// recursively in lexical order, skipping names that start with a dot; "-"
// is standard input. Each file's format is detected (see Detect) unless
// opts.Format is set; gzip and zstd files are decompressed. The Span
// passed to fn is fn's to keep.
//
// Memory is bounded by the largest element of the input (a batch of
// OTLP JSON spans, an OTLP protobuf resourceSpans element, a Jaeger
// trace, a Zipkin span), never the whole file. A structural error (bad
// JSON, truncated protobuf, input of none of the formats: ErrNotTraces)
// stops reading and is returned as an *InputError with its position; an
// input longer than opts.MaxBytes stops reading with a *limits.Error; an
// invalid span is skipped, counted in Stats.Skipped and described in
// Stats.Warnings at its position (the value at fault, for a value of the
// wrong type). A JSON input may start with a UTF-8 byte order mark. An
// error returned by fn stops reading and is returned as is.
//
// Directories yield their regular files only (pipes, sockets and devices
// are left out); a path named explicitly is read whatever it is, up to
// opts.MaxBytes.
func Read(paths []string, opts Options, fn func(src string, s *Span) error) (Stats, error) {
	var st Stats
	if err := checkFormat(opts.Format); err != nil {
		return st, err
	}
	files, total, err := expand(paths)
	if err != nil {
		return st, err
	}
	p := &progress{fn: opts.Progress, total: total, stats: &st}
	for _, name := range files {
		if err := readPath(name, opts, p, &st, fn); err != nil {
			return st, err
		}
	}
	return st, nil
}

// ReadFrom streams the spans of one input r, named name in messages, to
// fn, like Read. When r is an io.ReadSeeker, warnings and errors carry
// line:col positions; otherwise byte offsets.
func ReadFrom(r io.Reader, name string, opts Options, fn func(s *Span) error) (Stats, error) {
	var st Stats
	if err := checkFormat(opts.Format); err != nil {
		return st, err
	}
	var reopen func() (io.ReadCloser, error)
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			reopen = func() (io.ReadCloser, error) {
				_, err := rs.Seek(start, io.SeekStart)
				return io.NopCloser(rs), err
			}
		}
	}
	p := &progress{fn: opts.Progress, stats: &st}
	in := newInput(name, opts, &st, reopen, func(s *Span) error { return fn(s) })
	err := in.read(p.wrap(r))
	p.report()
	return st, err
}

func checkFormat(f string) error {
	if f == "" {
		return nil
	}
	for _, g := range Formats {
		if f == g {
			return nil
		}
	}
	return fmt.Errorf("unknown trace format %q (want %s)", f, strings.Join(Formats, ", "))
}

// expand lists the files named by paths, walking directories, and sums
// their sizes.
func expand(paths []string) ([]string, int64, error) {
	var files []string
	var total int64
	for _, p := range paths {
		if p == "-" {
			files = append(files, p)
			continue
		}
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() && path != p {
				return nil
			}
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
			files = append(files, path)
			return nil
		})
		if err != nil {
			return nil, 0, err
		}
	}
	return files, total, nil
}

func readPath(name string, opts Options, p *progress, st *Stats, fn func(string, *Span) error) error {
	emit := func(s *Span) error { return fn(name, s) }
	if name == "-" {
		in := newInput(name, opts, st, nil, emit)
		err := in.read(p.wrap(os.Stdin))
		p.report()
		return err
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	reopen := func() (io.ReadCloser, error) { return os.Open(name) }
	in := newInput(name, opts, st, reopen, emit)
	err = in.read(p.wrap(f))
	p.report()
	return err
}

// decoded is an input with its compression layers unwrapped.
type decoded struct {
	br      *bufio.Reader
	format  string   // forced or detected
	meters  []*meter // the bounds of each layer, the decoded stream's last
	closers []func()
}

// release closes the decompressors.
func (d *decoded) release() {
	for _, c := range d.closers {
		c()
	}
}

// tripped returns the limit error of the first layer that went over its
// bound, or nil.
func (d *decoded) tripped() error {
	for _, m := range d.meters {
		if m.tripped {
			return m.lr.Err
		}
	}
	return nil
}

// last returns the meter of the decoded stream.
func (d *decoded) last() *meter { return d.meters[len(d.meters)-1] }

// decode unwraps gzip and zstd layers (detected by magic number) and
// returns the decoded stream and its format (forced or detected). Every
// layer, the raw input included, is bounded by bound bytes (what names
// the input in the limit's error).
func decode(r io.Reader, forced string, bound int64, what string) (*decoded, error) {
	d := &decoded{}
	m := newMeter(r, bound, what)
	d.meters = append(d.meters, m)
	d.br = bufio.NewReaderSize(m, 64<<10)
	for layer := 0; ; layer++ {
		head, err := d.br.Peek(headSize)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			d.release()
			return nil, orTripped(d, err)
		}
		f := Detect(head)
		if (f == FormatGzip || f == FormatZstd) && layer < 2 {
			next, done, err := decompress(d.br, f, bound)
			if err != nil {
				d.release()
				return nil, orTripped(d, err)
			}
			d.closers = append(d.closers, done)
			m := newMeter(next, bound, what+" (decompressed)")
			d.meters = append(d.meters, m)
			d.br = bufio.NewReaderSize(m, 64<<10)
			continue
		}
		if forced != "" {
			f = forced
		}
		d.format = f
		return d, nil
	}
}

// orTripped returns the limit error of a layer that went over its bound,
// else err.
func orTripped(d *decoded, err error) error {
	if t := d.tripped(); t != nil {
		return t
	}
	return err
}

func decompress(r io.Reader, f string, bound int64) (io.Reader, func(), error) {
	if f == FormatGzip {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return z, func() { z.Close() }, nil
	}
	z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(zstdMemory(bound)))
	if err != nil {
		return nil, nil, fmt.Errorf("zstd: %w", err)
	}
	return z, z.Close, nil
}

// zstdMemory is the most memory a zstd decoder may use (its window, or a
// whole frame decoded at once) for an input bounded by bound bytes: at
// least the 8 MiB window every decoder is expected to support.
func zstdMemory(bound int64) uint64 {
	return uint64(min(maxElement, max(bound, 8<<20)))
}

// meter bounds one layer of an input with a limits.Reader, counts the
// bytes it passed on, and remembers whether it went over the bound
// (decompressors and decoders may wrap or replace the error).
type meter struct {
	lr      *limits.Reader
	n       int64
	tripped bool
}

func newMeter(r io.Reader, n int64, what string) *meter {
	return &meter{lr: limits.NewReader(r, n, "trace file "+what, limits.FlagTraceBytes)}
}

func (m *meter) Read(p []byte) (int, error) {
	if m.tripped {
		return 0, m.lr.Err // without reading another byte
	}
	n, err := m.lr.Read(p)
	m.n += int64(n)
	if err != nil && err == error(m.lr.Err) {
		m.tripped = true
	}
	return n, err
}

// progress counts the bytes read from all files and reports them.
type progress struct {
	fn         func(done, total int64)
	total      int64
	done, last int64
	stats      *Stats
}

func (p *progress) wrap(r io.Reader) io.Reader { return &countingReader{r: r, p: p} }

func (p *progress) add(n int) {
	p.done += int64(n)
	p.stats.Bytes += int64(n)
	if p.fn != nil && p.done-p.last >= 1<<20 {
		p.report()
	}
}

func (p *progress) report() {
	p.last = p.done
	if p.fn != nil {
		p.fn(p.done, p.total)
	}
}

type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.add(n)
	return n, err
}
