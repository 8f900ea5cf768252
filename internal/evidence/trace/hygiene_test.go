package trace

import (
	"strings"
	"testing"
)

// readString reads one input given as text and returns its spans.
func readString(t *testing.T, text string) ([]Span, Stats) {
	t.Helper()
	var out []Span
	st, err := ReadFrom(strings.NewReader(text), "input", Options{}, func(s *Span) error {
		out = append(out, *s)
		return nil
	})
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return out, st
}

const jaegerTraceObject = `{"traceID": "2992f2a5b5d037a8", "spans": [
  {"traceID": "2992f2a5b5d037a8", "spanID": "ea7cfaca83f0724b", "operationName": "demo", "references": [],
   "startTime": 1509533706470949, "duration": 70406, "tags": [{"key": "span.kind", "type": "string", "value": "server"}], "processID": "p1"},
  {"traceID": "2992f2a5b5d037a8", "spanID": "1bdf4201221bb2ac", "operationName": "thread",
   "references": [{"refType": "CHILD_OF", "traceID": "2992f2a5b5d037a8", "spanID": "ea7cfaca83f0724b"}],
   "startTime": 1509533706521220, "duration": 1173, "tags": [], "processID": "p1"}],
 "processes": {"p1": {"serviceName": "issue115", "tags": []}}}`

// TestJaegerSingleTrace reads the forms a Jaeger trace is saved in besides
// {"data": [trace, …]}: one trace object alone (as the UI's "download"
// and many fixtures write it), {"data": trace} and an array of traces.
// Each gave 0 spans (issue 11, defect 7).
func TestJaegerSingleTrace(t *testing.T) {
	for name, text := range map[string]string{
		"object":         jaegerTraceObject,
		"data object":    `{"data": ` + jaegerTraceObject + `}`,
		"array":          `[` + jaegerTraceObject + `,` + jaegerTraceObject + `]`,
		"processes last": strings.Replace(jaegerTraceObject, `{"traceID": "2992f2a5b5d037a8", "spans"`, `{"spans"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			if f := Detect([]byte(text)); f != FormatJaeger {
				t.Errorf("detected %q, want jaeger", f)
			}
			spans, _ := readString(t, text)
			want := 2
			if name == "array" {
				want = 4
			}
			if len(spans) != want {
				t.Fatalf("%d spans, want %d", len(spans), want)
			}
			if s := spans[1]; s.Service != "issue115" || s.ParentID != "ea7cfaca83f0724b" || s.Name != "thread" {
				t.Errorf("span %+v", s)
			}
		})
	}
}

// TestOTLPResultWrapper reads OTLP JSON as the Jaeger v3 query API
// returns it, wrapped in {"result": …}.
func TestOTLPResultWrapper(t *testing.T) {
	spans, _ := readString(t, `{"result": {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "frontend"}}]},
		"scopeSpans": [{"spans": [{"traceId": "2ea75461946a7dd10f2c15ab36a076cb", "spanId": "c8d93156b47cd010", "name": "GET /dispatch", "kind": 2,
		"startTimeUnixNano": "1782036644630407050", "endTimeUnixNano": "1782036645333015327"}]}]}]}}`)
	if len(spans) != 1 || spans[0].Service != "frontend" || spans[0].Kind != KindServer {
		t.Fatalf("spans %+v", spans)
	}
}

// TestZipkinSharedSpans: the client and server halves of a Zipkin call
// share one span ID, the server's marked "shared". Both are read, the
// server half as a child of the client half (as the collector's Zipkin
// receiver nests them), and neither is dropped as a duplicate
// (issue 11, defect 4).
func TestZipkinSharedSpans(t *testing.T) {
	const text = `[
{"traceId": "a03ee8fff1dcd9b9", "parentId": "f5f268651b2a2b34", "id": "7a778764a0d0b594", "kind": "CLIENT", "name": "get",
 "timestamp": 1571896375310000, "duration": 3000, "localEndpoint": {"serviceName": "mobile_api"}, "remoteEndpoint": {"serviceName": "spectre"}},
{"traceId": "a03ee8fff1dcd9b9", "parentId": "f5f268651b2a2b34", "id": "7a778764a0d0b594", "kind": "SERVER", "name": "get",
 "timestamp": 1571896375310740, "duration": 1490, "localEndpoint": {"serviceName": "spectre"}, "shared": true}]`
	spans, _ := readString(t, text)
	var got [][]Span
	a := NewAssembler(0, func(tr []Span) error { got = append(got, tr); return nil })
	// Each half repeated (at-least-once export) is a duplicate.
	for _, k := range []int{0, 1, 1, 0} {
		s := spans[k]
		if err := a.Add(&s); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if a.Stats().Duplicates != 2 || len(got) != 1 || len(got[0]) != 2 {
		t.Fatalf("assembled %v (duplicates %d)", got, a.Stats().Duplicates)
	}
	client, server := got[0][0], got[0][1]
	if !server.Shared || server.Kind != KindServer || server.ParentID != client.SpanID || server.SpanID == client.SpanID {
		t.Errorf("server half %+v is not the client's child", server)
	}
}
