package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// The Jaeger query API's JSON model (jaeger model/json), as the UI
// exports it: {"data":[trace, …]}. Times are microseconds.
type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
	Warnings  []string                 `json:"warnings"`
}

type jaegerSpan struct {
	TraceID       string         `json:"traceID"`
	SpanID        string         `json:"spanID"`
	ParentSpanID  string         `json:"parentSpanID,omitempty"`
	OperationName string         `json:"operationName"`
	References    []jaegerRef    `json:"references"`
	StartTime     int64          `json:"startTime"`
	Duration      int64          `json:"duration"`
	Tags          []jaegerKV     `json:"tags"`
	ProcessID     string         `json:"processID"`
	Process       *jaegerProcess `json:"process,omitempty"`
	Warnings      []string       `json:"warnings"`
}

type jaegerRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type jaegerProcess struct {
	ServiceName string     `json:"serviceName"`
	Tags        []jaegerKV `json:"tags"`
}

type jaegerKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// Tags that carry span fields rather than attributes (Jaeger and the
// OpenTelemetry → Jaeger/Zipkin translation conventions).
const (
	tagSpanKind   = "span.kind"
	tagError      = "error"
	tagStatusCode = "otel.status_code"
	tagStatusDesc = "otel.status_description"
)

// jaegerTraceKeys are the keys that open a Jaeger trace object (the
// first key of a trace saved alone).
var jaegerTraceKeys = map[string]bool{"traceID": true, "spans": true, "processes": true, "spanID": true}

// readJaeger reads the forms Jaeger traces are saved in: query API
// documents {"data":[trace, …]} (or {"data": trace}), one trace object
// alone ({"traceID", "spans", "processes"}, as the UI downloads it), and
// arrays of traces or of spans with their process inlined; base is the
// offset of r in the input.
func readJaeger(in *input, r io.Reader, base int64) error {
	w := newJSONWalker(in, r, base)
	return w.values(func(first json.Token, off int64) error {
		switch first {
		case json.Delim('['):
			return jaegerArray(in, w)
		case json.Delim('{'):
			return jaegerObject(in, w, off)
		}
		return in.errorAt(off, fmt.Errorf(`want a Jaeger object {"data":[…]} or a trace {"traceID", "spans", "processes"}, found %s`, describe(first)))
	})
}

// jaegerArray reads the elements of a top-level array (its '[' read):
// traces, or spans with their process inlined.
func jaegerArray(in *input, w *jsonWalker) error {
	for w.dec.More() {
		raw, off, err := w.raw()
		if err != nil {
			return err
		}
		if err := jaegerElement(in, raw, off); err != nil {
			return err
		}
	}
	return w.expect(']', "array of traces")
}

// jaegerObject reads a top-level object (its '{' read at off): a query
// API document, whose "data" is an array of traces or one trace, or one
// trace saved alone, whose members are gathered and read at its end.
func jaegerObject(in *input, w *jsonWalker, off int64) error {
	var spans, procs jsonValue
	alone := false
	err := w.object(func(key string) (bool, error) {
		switch {
		case key == "data":
			if w.peek() == '{' {
				raw, off, err := w.raw()
				if err != nil {
					return true, err
				}
				return true, jaegerElement(in, raw, off)
			}
			return true, w.array("data", func(raw json.RawMessage, off int64) error {
				return jaegerElement(in, raw, off)
			})
		case key == "spans" || key == "processes":
			raw, voff, err := w.raw()
			if key == "spans" {
				spans = jsonValue{raw: raw, off: voff}
			} else {
				procs = jsonValue{raw: raw, off: voff}
			}
			alone = true
			return true, err
		case jaegerTraceKeys[key]:
			alone = true
		}
		return false, nil
	})
	if err != nil || !alone {
		return err
	}
	if spans.raw == nil {
		in.warn(off, "Jaeger trace object without spans")
		return nil
	}
	return jaegerTraceValues(in, spans, procs)
}

// peek returns the next byte of the stream that is not white space or a
// separator, 0 when it cannot be seen.
func (w *jsonWalker) peek() byte {
	w.dec.More()
	var head [64]byte
	n, _ := io.ReadFull(w.dec.Buffered(), head[:])
	for _, c := range head[:n] {
		if c != ':' && c != ',' && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return c
		}
	}
	return 0
}

// jaegerElement emits the spans of one trace (raw, at offset off), or one
// span whose process is inlined. If the trace does not decode,
// jaegerParts takes over.
func jaegerElement(in *input, raw json.RawMessage, off int64) error {
	el := jsonValue{raw: raw, off: off}
	var tr jaegerTrace
	if err := json.Unmarshal(raw, &tr); err == nil && tr.Spans == nil {
		if sv, ok := member(el, "spanID"); ok && kindOf(sv.raw) == "a string" {
			var sp jaegerSpan
			if err := json.Unmarshal(raw, &sp); err == nil {
				return in.emit(fromJaeger(&sp, nil), off)
			}
			p := typeProblem("span", el, err)
			in.skip(p.off, "span skipped: "+p.msg)
			return nil
		}
	}
	if _, ok := members(el); !ok {
		in.skip(el.off, "trace skipped: want an object, got "+kindOf(el.raw))
		return nil
	}
	pv, _ := member(el, "processes")
	sv, _ := member(el, "spans")
	return jaegerTraceValues(in, sv, pv)
}

// jaegerTraceValues emits the spans of one trace given its "spans" and
// "processes" values (either may be missing: nil raw). When they do not
// decode, jaegerParts takes over.
func jaegerTraceValues(in *input, sv, pv jsonValue) error {
	var spans []jaegerSpan
	var ps map[string]jaegerProcess
	okSpans := sv.raw == nil || json.Unmarshal(sv.raw, &spans) == nil
	okProcs := pv.raw == nil || json.Unmarshal(pv.raw, &ps) == nil
	if !okSpans || !okProcs {
		return jaegerParts(in, pv, sv)
	}
	procs := map[string]*jaegerResource{}
	for id, p := range ps {
		procs[id] = newJaegerResource(p)
	}
	var placed []jsonValue // found when a span is skipped
	for i := range spans {
		where := func() int64 {
			if placed == nil {
				placed, _ = items(sv)
			}
			if i < len(placed) {
				return placed[i].off
			}
			return sv.off
		}
		if err := in.emitAt(fromJaeger(&spans[i], procs), where); err != nil {
			return err
		}
	}
	return nil
}

// jaegerParts decodes a trace's processes and spans one by one, skipping
// the bad ones, each reported at the value at fault.
func jaegerParts(in *input, pv, sv jsonValue) error {
	procs := map[string]*jaegerResource{}
	if pv.raw != nil && kindOf(pv.raw) != "null" {
		ms, ok := members(pv)
		if !ok {
			in.warn(pv.off, wrong("processes", pv, "an object").msg+"; ignored")
		}
		for _, m := range ms {
			var p jaegerProcess
			if err := json.Unmarshal(m.val.raw, &p); err != nil {
				pr := typeProblem(fmt.Sprintf("process %q", m.key), m.val, err)
				in.warn(pr.off, pr.msg+"; ignored")
				continue
			}
			procs[m.key] = newJaegerResource(p)
		}
	}
	if sv.raw == nil || kindOf(sv.raw) == "null" {
		return nil
	}
	spans, ok := items(sv)
	if !ok {
		p := wrong("spans", sv, "an array")
		in.skip(p.off, "trace skipped: "+p.msg)
		return nil
	}
	for i, m := range spans {
		var sp jaegerSpan
		if err := json.Unmarshal(m.raw, &sp); err != nil {
			p := typeProblem("span", m, err)
			in.skip(p.off, fmt.Sprintf("spans[%d] skipped: %s", i, p.msg))
			continue
		}
		if err := in.emit(fromJaeger(&sp, procs), m.off); err != nil {
			return err
		}
	}
	return nil
}

// jaegerResource is a process converted once per trace.
type jaegerResource struct {
	service string
	attrs   map[string]string
}

func newJaegerResource(p jaegerProcess) *jaegerResource {
	r := &jaegerResource{service: p.ServiceName, attrs: make(map[string]string, len(p.Tags)+1)}
	for _, kv := range p.Tags {
		r.attrs[kv.Key] = kvString(kv.Value)
	}
	if p.ServiceName != "" {
		r.attrs[AttrServiceName] = p.ServiceName
	}
	return r
}

func fromJaeger(sp *jaegerSpan, procs map[string]*jaegerResource) *Span {
	s := &Span{
		TraceID:  sp.TraceID,
		SpanID:   sp.SpanID,
		ParentID: jaegerParent(sp),
		Name:     sp.OperationName,
		Start:    sp.StartTime * 1000,
		End:      (sp.StartTime + sp.Duration) * 1000,
	}
	res := procs[sp.ProcessID]
	if sp.Process != nil {
		res = newJaegerResource(*sp.Process)
	}
	if res != nil {
		s.Service, s.Resource = res.service, res.attrs
	}
	attrs := make(map[string]string, len(sp.Tags))
	for _, kv := range sp.Tags {
		attrs[kv.Key] = kvString(kv.Value)
	}
	s.Attrs = takeStatusTags(s, attrs)
	return s
}

// jaegerParent returns the span's parent: its first CHILD_OF reference,
// else its first FOLLOWS_FROM reference, else parentSpanID.
func jaegerParent(sp *jaegerSpan) string {
	follows := ""
	for _, r := range sp.References {
		if r.RefType == "CHILD_OF" {
			return r.SpanID
		}
		if follows == "" {
			follows = r.SpanID
		}
	}
	if follows != "" {
		return follows
	}
	return sp.ParentSpanID
}

// takeStatusTags moves the kind, error and status tags of attrs into s
// and returns the remaining attributes (nil when none are left).
func takeStatusTags(s *Span, attrs map[string]string) map[string]string {
	if v, ok := attrs[tagSpanKind]; ok {
		s.Kind = parseKind(v)
		delete(attrs, tagSpanKind)
	}
	if v, ok := attrs[tagError]; ok {
		s.Error = v != "false"
		if v != "true" && v != "false" {
			s.StatusMessage = v
		}
		delete(attrs, tagError)
	}
	if v, ok := attrs[tagStatusCode]; ok {
		s.Error = s.Error || strings.EqualFold(v, "ERROR")
		delete(attrs, tagStatusCode)
	}
	if v, ok := attrs[tagStatusDesc]; ok {
		s.StatusMessage = v
		delete(attrs, tagStatusDesc)
	}
	if len(attrs) == 0 {
		return nil
	}
	return attrs
}

func parseKind(v string) Kind {
	for k := KindInternal; k <= KindConsumer; k++ {
		if strings.EqualFold(v, k.String()) {
			return k
		}
	}
	return KindUnspecified
}

// kvString returns a JSON value as a string: strings unquoted, other
// values in their JSON form.
func kvString(v json.RawMessage) string {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	return string(v)
}

// jaegerWriter writes {"data":[trace, …]}, one trace per line.
type jaegerWriter struct {
	out
	n int
}

func (w *jaegerWriter) Write(trace []Span) error {
	sep := ",\n"
	if w.n == 0 {
		sep = "{\"data\":[\n"
	}
	w.n++
	b, err := json.Marshal(toJaeger(trace))
	if err != nil {
		return err
	}
	w.put(sep)
	w.putBytes(b)
	return w.err
}

func (w *jaegerWriter) Close() error {
	if w.n == 0 {
		w.put("{\"data\":[")
	}
	w.put("\n]}\n")
	return w.flush()
}

func toJaeger(trace []Span) jaegerTrace {
	tr := jaegerTrace{Spans: make([]jaegerSpan, 0, len(trace)), Processes: map[string]jaegerProcess{}}
	ids := map[string]string{}
	for i := range trace {
		s := &trace[i]
		tr.TraceID = s.TraceID
		key := resourceKey(s)
		pid, ok := ids[key]
		if !ok {
			pid = fmt.Sprintf("p%d", len(ids)+1)
			ids[key] = pid
			tr.Processes[pid] = jaegerProcess{ServiceName: s.Service, Tags: jaegerTags(s.Resource, AttrServiceName)}
		}
		sp := jaegerSpan{
			TraceID: s.TraceID, SpanID: s.SpanID, OperationName: s.Name,
			StartTime: s.Start / 1000, Duration: s.End/1000 - s.Start/1000,
			Tags: append(jaegerTags(s.Attrs, ""), statusTags(s)...), ProcessID: pid,
		}
		if s.ParentID != "" {
			sp.References = []jaegerRef{{RefType: "CHILD_OF", TraceID: s.TraceID, SpanID: s.ParentID}}
		}
		tr.Spans = append(tr.Spans, sp)
	}
	return tr
}

// jaegerTags returns m as string tags sorted by key, without skip.
func jaegerTags(m map[string]string, skip string) []jaegerKV {
	tags := make([]jaegerKV, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if k != skip {
			tags = append(tags, stringKV(k, m[k]))
		}
	}
	return tags
}

// statusTags returns the tags carrying s's kind and status.
func statusTags(s *Span) []jaegerKV {
	var tags []jaegerKV
	if s.Kind != KindUnspecified {
		tags = append(tags, stringKV(tagSpanKind, s.Kind.String()))
	}
	if s.Error {
		tags = append(tags, jaegerKV{Key: tagError, Type: "bool", Value: json.RawMessage("true")},
			stringKV(tagStatusCode, "ERROR"))
	}
	if s.StatusMessage != "" {
		tags = append(tags, stringKV(tagStatusDesc, s.StatusMessage))
	}
	return tags
}

func stringKV(k, v string) jaegerKV {
	b, _ := json.Marshal(v)
	return jaegerKV{Key: k, Type: "string", Value: b}
}
