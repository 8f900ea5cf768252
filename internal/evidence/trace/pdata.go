package trace

import (
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// emitTraces hands every span of td to in.emit, placed at the offset
// where(i, j, k) of span k of scopeSpans j of resourceSpans i (called
// only for spans that are skipped).
func emitTraces(in *input, td ptrace.Traces, where func(i, j, k int) int64) error {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		res := attrMap(rs.Resource().Attributes())
		svc := res[AttrServiceName]
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := fromPdata(spans.At(k), svc, res)
				if err := in.emitAt(s, func() int64 { return where(i, j, k) }); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// at returns a constant offset for emitTraces.
func at(off int64) func(i, j, k int) int64 { return func(int, int, int) int64 { return off } }

// fromPdata converts one pdata span; res is shared between the spans of
// one resource.
func fromPdata(sp ptrace.Span, svc string, res map[string]string) *Span {
	s := &Span{
		Service:  svc,
		Name:     sp.Name(),
		Kind:     Kind(sp.Kind()),
		Start:    int64(sp.StartTimestamp()),
		End:      int64(sp.EndTimestamp()),
		Attrs:    attrMap(sp.Attributes()),
		Resource: res,
	}
	if id := sp.TraceID(); !id.IsEmpty() {
		s.TraceID = hex.EncodeToString(id[:])
	}
	if id := sp.SpanID(); !id.IsEmpty() {
		s.SpanID = hex.EncodeToString(id[:])
	}
	if id := sp.ParentSpanID(); !id.IsEmpty() {
		s.ParentID = hex.EncodeToString(id[:])
	}
	if s.Kind > KindConsumer {
		s.Kind = KindUnspecified
	}
	st := sp.Status()
	s.Error = st.Code() == ptrace.StatusCodeError
	s.StatusMessage = st.Message()
	return s
}

// attrMap returns the attributes as strings (numbers and booleans in
// their JSON form, arrays and maps as JSON), or nil when there are none.
func attrMap(m pcommon.Map) map[string]string {
	if m.Len() == 0 {
		return nil
	}
	out := make(map[string]string, m.Len())
	for k, v := range m.All() {
		out[k] = v.AsString()
	}
	return out
}

// toPdata converts one trace to pdata, one ResourceSpans per distinct
// resource (service and resource attributes) in order of first
// appearance.
func toPdata(spans []Span) (ptrace.Traces, error) {
	td := ptrace.NewTraces()
	groups := map[string]ptrace.SpanSlice{}
	for i := range spans {
		s := &spans[i]
		key := resourceKey(s)
		ss, ok := groups[key]
		if !ok {
			rs := td.ResourceSpans().AppendEmpty()
			putAttrs(rs.Resource().Attributes(), resourceOf(s))
			ss = rs.ScopeSpans().AppendEmpty().Spans()
			groups[key] = ss
		}
		if err := putSpan(ss.AppendEmpty(), s); err != nil {
			return td, err
		}
	}
	return td, nil
}

// resourceOf returns the span's resource attributes with service.name set
// to its service.
func resourceOf(s *Span) map[string]string {
	if s.Service == "" || s.Resource[AttrServiceName] == s.Service {
		return s.Resource
	}
	res := make(map[string]string, len(s.Resource)+1)
	for k, v := range s.Resource {
		res[k] = v
	}
	res[AttrServiceName] = s.Service
	return res
}

// resourceKey identifies a span's resource.
func resourceKey(s *Span) string {
	var b strings.Builder
	b.WriteString(s.Service)
	for _, k := range slices.Sorted(maps.Keys(s.Resource)) {
		fmt.Fprintf(&b, "\x00%s\x00%s", k, s.Resource[k])
	}
	return b.String()
}

func putSpan(sp ptrace.Span, s *Span) error {
	var tid pcommon.TraceID
	var sid, pid pcommon.SpanID
	if err := decodeID(tid[:], s.TraceID, "trace"); err != nil {
		return err
	}
	if err := decodeID(sid[:], s.SpanID, "span"); err != nil {
		return err
	}
	if s.ParentID != "" {
		if err := decodeID(pid[:], s.ParentID, "parent span"); err != nil {
			return err
		}
	}
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetParentSpanID(pid)
	sp.SetName(s.Name)
	sp.SetKind(ptrace.SpanKind(s.Kind))
	sp.SetStartTimestamp(pcommon.Timestamp(s.Start))
	sp.SetEndTimestamp(pcommon.Timestamp(s.End))
	putAttrs(sp.Attributes(), s.Attrs)
	if s.Error {
		sp.Status().SetCode(ptrace.StatusCodeError)
	}
	sp.Status().SetMessage(s.StatusMessage)
	return nil
}

func putAttrs(m pcommon.Map, attrs map[string]string) {
	m.EnsureCapacity(len(attrs))
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		m.PutStr(k, attrs[k])
	}
}

// decodeID decodes a hex identifier of at most len(dst) bytes (shorter
// ones are left-padded with zeros).
func decodeID(dst []byte, id, what string) error {
	if n, ok := normID(id, 2*len(dst)); ok {
		id = n
	}
	if len(id) != 2*len(dst) {
		return fmt.Errorf("%s ID %q: want %d hex digits", what, id, 2*len(dst))
	}
	if _, err := hex.Decode(dst, []byte(id)); err != nil {
		return fmt.Errorf("%s ID %q: %w", what, id, err)
	}
	return nil
}
