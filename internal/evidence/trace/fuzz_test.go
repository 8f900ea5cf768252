package trace

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/emac-dev/emac/internal/limits"
)

// fuzzSeeds adds the fixtures and a few edge cases to the corpus.
func fuzzSeeds(f *testing.F, exts ...string) {
	names, _ := filepath.Glob("testdata/*")
	for _, name := range names {
		for _, ext := range exts {
			if ext == "" || filepath.Ext(name) == ext {
				if b, err := os.ReadFile(name); err == nil {
					f.Add(b)
				}
				break
			}
		}
	}
	for _, s := range []string{"", "{}", "[]", "{\"resourceSpans\":[{}]}\n{}", "\x00\x00\x00\x01\x0a", "\x0a\x02\x0a\x00"} {
		f.Add([]byte(s))
	}
}

// fuzzMaxSpans is the spans-per-trace bound of the fuzz targets.
const fuzzMaxSpans = 4

// fuzzRead reads data twice and checks the reader's contract, whatever
// the input: no panic, valid spans, errors that have a position or are
// limit errors; then, with a bound of half the input, that no more than
// the bound is read or decoded and the error is the limit's.
func fuzzRead(t *testing.T, data []byte, format string) {
	fuzzReadBounded(t, data, format, 1<<20)
	fuzzReadBounded(t, data, format, max(int64(len(data))/2, 1))
}

// fuzzReadBounded reads data with Options.MaxBytes set to bound and the
// spans through an Assembler bounded to fuzzMaxSpans spans per trace.
func fuzzReadBounded(t *testing.T, data []byte, format string, bound int64) {
	n := 0
	asm := NewAssembler(3, func(tr []Span) error {
		if len(tr) > fuzzMaxSpans {
			t.Fatalf("a trace of %d spans passed a bound of %d", len(tr), fuzzMaxSpans)
		}
		// A span ID may be reused by spans with other times (kept); a
		// repeat — same ID, role and times — must have been dropped.
		seen := map[string]bool{}
		for _, s := range tr {
			key := fmt.Sprint(s.SpanID, serverRole(&s), s.Start, s.End)
			if seen[key] {
				t.Fatalf("span %s repeated in its trace", s.SpanID)
			}
			seen[key] = true
		}
		return nil
	})
	asm.LimitSpans(fuzzMaxSpans)
	in := &furthest{Reader: bytes.NewReader(data)}
	st, err := ReadFrom(in, "fuzz", Options{Format: format, MaxWarnings: 3, MaxBytes: bound}, func(s *Span) error {
		n++
		if len(s.TraceID) != 32 || !isLowerHex(s.TraceID) || isZeros(s.TraceID) ||
			len(s.SpanID) != 16 || !isLowerHex(s.SpanID) || isZeros(s.SpanID) ||
			s.ParentID != "" && (len(s.ParentID) != 16 || !isLowerHex(s.ParentID)) || s.End < s.Start {
			t.Fatalf("invalid span passed on: %+v", s)
		}
		return asm.Add(s)
	})
	if err == nil {
		err = asm.Close()
	}
	var ie *InputError
	var le *limits.Error
	if err != nil && !errors.As(err, &ie) && !errors.As(err, &le) {
		t.Fatalf("error without a position: %v", err)
	}
	compressed := Detect(data) == FormatGzip || bytes.Contains(data, zstdMagic)
	if le != nil && le.Flag == limits.FlagTraceBytes && int64(len(data)) <= bound && !compressed {
		t.Fatalf("an input of %d bytes over a bound of %d: %v", len(data), bound, err)
	}
	if in.max > bound+1 || st.Decoded > bound {
		t.Fatalf("read up to byte %d, decoded %d bytes under a bound of %d", in.max, st.Decoded, bound)
	}
	if n != st.Spans || len(st.Warnings) > 3 {
		t.Fatalf("%d spans seen, stats %+v", n, st)
	}
}

func FuzzOTLPJSON(f *testing.F) {
	fuzzSeeds(f, ".json", ".jsonl")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, FormatOTLP) })
}

func FuzzOTLPProto(f *testing.F) {
	fuzzSeeds(f, ".pb")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, FormatOTLPProto) })
}

func FuzzJaeger(f *testing.F) {
	fuzzSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, FormatJaeger) })
}

func FuzzZipkin(f *testing.F) {
	fuzzSeeds(f, ".json")
	f.Fuzz(func(t *testing.T, data []byte) { fuzzRead(t, data, FormatZipkin) })
}

// FuzzDetect reads any input with format detection (compressed layers
// included).
func FuzzDetect(f *testing.F) {
	fuzzSeeds(f, "")
	f.Fuzz(func(t *testing.T, data []byte) {
		Detect(data)
		fuzzRead(t, data, "")
	})
}
