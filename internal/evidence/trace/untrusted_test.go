package trace

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// posOf returns the line:col of the first occurrence of needle in src,
// moved by skip bytes.
func posOf(src, needle string, skip int) string {
	i := strings.Index(src, needle) + skip
	line := 1 + strings.Count(src[:i], "\n")
	col := i - strings.LastIndex(src[:i], "\n")
	return fmt.Sprintf("%d:%d", line, col)
}

// TestBOM checks that every JSON format may start with a UTF-8 byte
// order mark, as editors on Windows write them.
func TestBOM(t *testing.T) {
	for _, file := range []string{"otlp_http.json", "otlp_fileexporter.jsonl", "jaeger.json", "zipkin.json"} {
		data := mustRead(t, filepath.Join("testdata", file))
		plain, err := ReadFrom(bytes.NewReader(data), file, Options{}, func(*Span) error { return nil })
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		withBOM := append([]byte("\ufeff"), data...)
		st, err := ReadFrom(bytes.NewReader(withBOM), file, Options{}, func(*Span) error { return nil })
		if err != nil || st.Spans != plain.Spans || st.Spans == 0 {
			t.Errorf("%s with a BOM: %d spans, %v; want %d", file, st.Spans, err, plain.Spans)
		}
	}
}

// wrongTypes is OTLP JSON whose spans hold values of the wrong type.
const wrongTypes = `{"resourceSpans": [
  {"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "svc"}}]},
   "scopeSpans": [{"scope": {}, "spans": [
     {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060708", "name": "good", "startTimeUnixNano": "10", "endTimeUnixNano": "20"},
     {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "0102030405060709", "name": 5},
     {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "010203040506070a", "startTimeUnixNano": {}},
     {"traceId": "zz02030405060708090a0b0c0d0e0f10", "spanId": "010203040506070b"},
     {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "010203040506070c", "attributes": [{"key": 1}]},
     {"traceId": "0102030405060708090a0b0c0d0e0f10", "spanId": "010203040506070d", "status": {"code": "maybe"}}
   ]}]}
]}
`

// TestWrongTypes checks that a value of the wrong type inside a span is
// reported at the value, in words, and only that span is skipped.
func TestWrongTypes(t *testing.T) {
	st, err := ReadFrom(strings.NewReader(wrongTypes), "in", Options{}, func(*Span) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"in:" + posOf(wrongTypes, `"name": 5`, 8) + ": scopeSpans[0].spans[1] skipped: span name: want a string, got a number",
		"in:" + posOf(wrongTypes, `"startTimeUnixNano": {}`, 21) + ": scopeSpans[0].spans[2] skipped: span startTimeUnixNano: want a number, got an object",
		"in:" + posOf(wrongTypes, `"zz02`, 0) + `: scopeSpans[0].spans[3] skipped: span traceId: want 32 hex digits, got "zz02030405060708090a0b0c0d0e0f10"`,
		"in:" + posOf(wrongTypes, `"key": 1`, 7) + ": scopeSpans[0].spans[4] skipped: span attributes[0].key: want a string, got a number",
		"in:" + posOf(wrongTypes, `"code": "maybe"`, 8) + `: scopeSpans[0].spans[5] skipped: span status.code: want a status code, got "maybe"`,
	}
	if st.Spans != 1 || st.Skipped != len(want) {
		t.Errorf("%d spans, %d skipped; want 1, %d", st.Spans, st.Skipped, len(want))
	}
	if got := strings.Join(st.Warnings, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
}

// TestNotATraceFile checks that input of no known format is refused at
// once, naming the formats tried, instead of being read as protobuf.
func TestNotATraceFile(t *testing.T) {
	for _, in := range []string{
		strings.Repeat("\x00", 8192),
		"hello, world",
		"\x00\x00\x00\x00\x00\x00\x00\x00",
		"<?xml version=\"1.0\"?><traces/>",
	} {
		_, err := ReadFrom(strings.NewReader(in), "in", Options{}, func(*Span) error { return nil })
		if err == nil || !strings.Contains(err.Error(), "not a trace file") || !strings.Contains(err.Error(), "otlp, otlp-proto, jaeger, zipkin") {
			t.Errorf("%.20q: got %v", in, err)
		}
	}
}
