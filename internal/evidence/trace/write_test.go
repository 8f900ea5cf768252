package trace

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// oddSpans are spans the generator does not make: other kinds, status
// messages that look like booleans, no service, no resource.
func oddSpans() []Span {
	tid := "4bf92f3577b34da6a3ce929d0e0e4736"
	return []Span{
		{TraceID: tid, SpanID: "00f067aa0ba902b7", Service: "worker", Name: "internal work", Kind: KindInternal,
			Start: 1_000_000_123_456, End: 1_000_000_999_999, Error: true, StatusMessage: "true"},
		{TraceID: tid, SpanID: "00f067aa0ba902b8", ParentID: "00f067aa0ba902b7", Service: "worker", Name: "enqueue",
			Kind: KindProducer, Start: 1_000_001_000_000, End: 1_000_002_000_000, StatusMessage: "fine",
			Attrs: map[string]string{"messaging.system": "kafka", "quote\"d": "a\nb"}},
		{TraceID: tid, SpanID: "00f067aa0ba902b9", ParentID: "00f067aa0ba902b8", Service: "consumer", Name: "dequeue",
			Kind: KindConsumer, Start: 1_000_003_000_000, End: 1_000_004_000_000, Error: true, StatusMessage: "false",
			Resource: map[string]string{AttrServiceName: "consumer", AttrHost: "h1", "process.pid": "42"}},
		{TraceID: tid, SpanID: "00f067aa0ba902ba", Name: "anonymous", Start: 5, End: 5},
	}
}

// expected returns the spans a reader of format gives back for spans.
func expected(spans []Span, format string) []string {
	var out []string
	for _, s := range spans {
		s.Resource = resourceOf(&s)
		if format == FormatJaeger || format == FormatZipkin {
			s.Start, s.End = s.Start/1000*1000, s.End/1000*1000
		}
		out = append(out, dumpSpan(&s))
	}
	sort.Strings(out)
	return out
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	comps := genComponents()
	var traces [][]Span
	for i := 0; i < 60; i++ {
		traces = append(traces, genTrace(r, i, comps))
	}
	traces = append(traces, oddSpans())
	var all []Span
	for _, tr := range traces {
		all = append(all, tr...)
	}
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, format)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range traces {
				if err := w.Write(tr); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			var got []string
			st, err := ReadFrom(bytes.NewReader(buf.Bytes()), "out", Options{}, func(s *Span) error {
				got = append(got, dumpSpan(s))
				return nil
			})
			if err != nil || st.Skipped != 0 {
				t.Fatalf("read back: %v, %+v", err, st)
			}
			sort.Strings(got)
			want := expected(all, format)
			if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
				t.Errorf("round trip differs:\n%s", firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "got  " + got[i] + "\nwant " + want[i]
		}
	}
	return "lengths differ"
}

// TestWriterStreams checks that output reaches the underlying writer
// before Close, i.e. that the writer does not hold the whole output.
func TestWriterStreams(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	comps := genComponents()
	for _, format := range Formats {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, format)
		for i := 0; buf.Len() == 0 && i < 100_000; i++ {
			if err := w.Write(genTrace(r, i, comps)); err != nil {
				t.Fatal(err)
			}
		}
		if buf.Len() == 0 || buf.Len() > 1<<20 {
			t.Errorf("%s: %d bytes before Close", format, buf.Len())
		}
	}
}

func TestEmptyOutput(t *testing.T) {
	for _, format := range Formats {
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, format)
		if err := w.Write(nil); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		st, err := ReadFrom(bytes.NewReader(buf.Bytes()), "out", Options{Format: format}, func(*Span) error { return nil })
		if err != nil || st.Spans != 0 {
			t.Errorf("%s: %q read back as %+v, %v", format, buf.String(), st, err)
		}
	}
}

func TestWriterErrors(t *testing.T) {
	if _, err := NewWriter(&bytes.Buffer{}, "xml"); err == nil {
		t.Error("unknown format accepted")
	}
	bad := []Span{{TraceID: "xyz", SpanID: "01"}}
	for _, format := range []string{FormatOTLP, FormatOTLPProto} {
		w, _ := NewWriter(&bytes.Buffer{}, format)
		if err := w.Write(bad); err == nil || !strings.Contains(err.Error(), `trace ID "xyz"`) {
			t.Errorf("%s: bad trace ID written: %v", format, err)
		}
	}
}
