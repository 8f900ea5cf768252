package trace

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/emac-dev/emac/internal/limits"
)

// endless is an endless stream of one byte.
type endless byte

func (e endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(e)
	}
	return len(p), nil
}

// furthest is an in-memory input that records the furthest byte read
// (readers may seek back to place warnings).
type furthest struct {
	*bytes.Reader
	max int64
}

func (f *furthest) Read(p []byte) (int, error) {
	n, err := f.Reader.Read(p)
	f.max = max(f.max, f.Size()-int64(f.Len()))
	return n, err
}

func gzipped(t testing.TB, parts ...[]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for _, p := range parts {
		zw.Write(p)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstded(t testing.TB, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(data, nil)
}

// TestMaxBytes checks that Options.MaxBytes bounds every input after
// decompression: endless streams, decompression bombs and zstd frames
// stop at the bound with a *limits.Error naming the flag, having read no
// more than the bound.
func TestMaxBytes(t *testing.T) {
	const bound = 64 << 10
	spaces := bytes.Repeat([]byte(" "), 16<<20)
	bomb := gzipped(t, []byte(`{"resourceSpans": [`), spaces, []byte(`]}`))
	frame := zstded(t, make([]byte, 16<<20))
	framed := append(binary.BigEndian.AppendUint32(nil, uint32(len(frame))), frame...)
	tests := []struct {
		name, format string
		in           io.Reader
		what         string
	}{
		{"endless protobuf", FormatOTLPProto, endless(0), "trace file in"},
		{"endless white space", "", io.MultiReader(strings.NewReader(`{"resourceSpans": [`), endless(' ')), "trace file in"},
		{"gzip bomb", "", bytes.NewReader(bomb), "trace file in (decompressed)"},
		{"zstd bomb", "", bytes.NewReader(zstded(t, append(append([]byte(`[`), spaces...), ']'))), "trace file in (decompressed)"},
		{"zstd frame bomb", "", bytes.NewReader(framed), "trace file in"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := ReadFrom(tc.in, "in", Options{Format: tc.format, MaxBytes: bound}, func(*Span) error { return nil })
			var le *limits.Error
			if !errors.As(err, &le) || le.Flag != limits.FlagTraceBytes || le.What != tc.what || le.Limit != bound {
				t.Fatalf("got %v, want the limit error of %s", err, tc.what)
			}
			if st.Decoded > bound || st.Bytes > bound+1 {
				t.Errorf("read %d bytes, decoded %d; the bound is %d", st.Bytes, st.Decoded, bound)
			}
		})
	}
}

// TestMaxBytesExact checks that an input of exactly the bound is read
// and one byte less is refused, consuming at most one byte more.
func TestMaxBytesExact(t *testing.T) {
	data := mustRead(t, "testdata/otlp_http.json")
	for _, tc := range []struct {
		bound int64
		ok    bool
	}{{int64(len(data)), true}, {int64(len(data)) - 1, false}} {
		in := &furthest{Reader: bytes.NewReader(data)}
		st, err := ReadFrom(in, "in", Options{MaxBytes: tc.bound}, func(*Span) error { return nil })
		if ok := err == nil && st.Spans == 3; ok != tc.ok || !tc.ok && !limits.IsLimit(err) {
			t.Errorf("bound %d: %d spans, %v", tc.bound, st.Spans, err)
		}
		if in.max > tc.bound+1 {
			t.Errorf("bound %d: read up to byte %d", tc.bound, in.max)
		}
	}
}

// TestLongWhiteSpace checks that long runs of white space (which
// encoding/json rescans from their start on every read) are read in
// linear time, with the positions after them and the strings inside the
// data unchanged.
func TestLongWhiteSpace(t *testing.T) {
	name := strings.Repeat(" ", 3*maxSpaces)
	span := `{"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "` + name + `"}`
	src := `{"resourceSpans": [` + strings.Repeat(" \n", 4<<20) + `{"scopeSpans": [{"spans": [` + span + `]}]}` +
		strings.Repeat("\t", 3*maxSpaces) + `, x]}`
	var got *Span
	_, err := ReadFrom(strings.NewReader(src), "in", Options{}, func(s *Span) error { got = s; return nil })
	want := "in:" + posOf(src, "x]}", 0) + ": invalid character 'x' looking for beginning of value"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if got == nil || got.Name != name {
		t.Errorf("the span's name was changed: %+v", got)
	}
}

// TestSqueezerOffsets checks the offset map of the squeezer on every
// byte of a stream with runs inside and outside strings.
func TestSqueezerOffsets(t *testing.T) {
	src := strings.Repeat(" ", maxSpaces+7) + `"` + strings.Repeat(" ", maxSpaces+3) + `\" "` +
		strings.Repeat("\n", maxSpaces+1) + "1" + strings.Repeat(" ", 2*maxSpaces) + "2"
	sq := &squeezer{r: iotestOneByte{strings.NewReader(src)}}
	out, err := io.ReadAll(sq)
	if err != nil {
		t.Fatal(err)
	}
	j := 0
	for i := 0; i < len(src); i++ {
		if j < len(out) && sq.inputOffset(int64(j)) == int64(i) {
			if out[j] != src[i] {
				t.Fatalf("byte %d of the output is %q, input byte %d is %q", j, out[j], i, src[i])
			}
			j++
		}
	}
	if j != len(out) || len(out) != len(src)-7-1-maxSpaces {
		t.Errorf("%d of %d output bytes map back; %d bytes of %d kept", j, len(out), len(out), len(src))
	}
}

// iotestOneByte reads one byte at a time.
type iotestOneByte struct{ r io.Reader }

func (o iotestOneByte) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

// TestAssemblerDuplicates checks that repeated spans of an open trace are
// dropped and counted, for short traces (searched) and long ones
// (indexed).
func TestAssemblerDuplicates(t *testing.T) {
	var stream []Span
	for i := range 3 * linearIDs {
		stream = append(stream, Span{TraceID: "A", SpanID: fmt.Sprint(i)}, Span{TraceID: "B", SpanID: fmt.Sprint(i % 2)})
	}
	stream = append(stream, stream...)
	sizes := map[string]int{}
	a := NewAssembler(0, func(tr []Span) error {
		sizes[tr[0].TraceID] += len(tr)
		return nil
	})
	for i := range stream {
		if err := a.Add(&stream[i]); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	if st := a.Stats(); sizes["A"] != 3*linearIDs || sizes["B"] != 2 || st.Duplicates != len(stream)-3*linearIDs-2 {
		t.Errorf("trace sizes %v, stats %+v", sizes, st)
	}
}

// TestAssemblerLimitSpans checks that a trace over the bound fails with
// its ID, and that repeats do not count.
func TestAssemblerLimitSpans(t *testing.T) {
	a := NewAssembler(0, func([]Span) error { return nil })
	a.LimitSpans(3)
	var err error
	for _, s := range []Span{{TraceID: "A", SpanID: "1"}, {TraceID: "A", SpanID: "2"}, {TraceID: "A", SpanID: "2"},
		{TraceID: "B", SpanID: "1"}, {TraceID: "A", SpanID: "3"}, {TraceID: "A", SpanID: "4"}} {
		if err = a.Add(&s); err != nil {
			break
		}
	}
	want := "trace A exceeds the limit of 3 spans (raise it with --max-spans-per-trace)"
	if !limits.IsLimit(err) || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
