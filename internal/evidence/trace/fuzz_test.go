package trace

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
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

// fuzzRead reads data and checks that reading ends with spans that are
// valid and an error that has a position, whatever the input.
func fuzzRead(t *testing.T, data []byte, format string) {
	n := 0
	st, err := ReadFrom(bytes.NewReader(data), "fuzz", Options{Format: format, MaxWarnings: 3}, func(s *Span) error {
		n++
		if len(s.TraceID) != 32 || !isLowerHex(s.TraceID) || isZeros(s.TraceID) ||
			len(s.SpanID) != 16 || !isLowerHex(s.SpanID) || isZeros(s.SpanID) ||
			s.ParentID != "" && (len(s.ParentID) != 16 || !isLowerHex(s.ParentID)) || s.End < s.Start {
			t.Fatalf("invalid span passed on: %+v", s)
		}
		return nil
	})
	var ie *InputError
	if err != nil && !errors.As(err, &ie) {
		t.Fatalf("error without a position: %v", err)
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
