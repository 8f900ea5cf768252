package infer

import (
	"fmt"
	"math"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// Hand-made traces for the pattern tests: a tiny builder that writes the
// spans of one request the way the conventions say (a root server span of
// the gateway, a client span per call, a server span of the callee unless
// it is uninstrumented), with times in milliseconds.

// tcall is one call of a hand-made trace.
type tcall struct {
	peer       string
	start, end float64 // ms after the root's start
	errType    string  // "", "500", "timeout", "cancelled"
	// noServer leaves the callee uninstrumented; noClient drops the client
	// span (its server span becomes an orphan); orphan points the client
	// span at a missing parent.
	noServer, noClient, orphan bool
	attrs, res                 map[string]string
	skew                       float64 // ms, the callee's clock offset
	down                       []string
	// op names the server span (default: the peer's name, which names the
	// component after its service alone); client names the client span
	// (default "call PEER"); noPeer leaves out peer.service.
	op, client string
	noPeer     bool
}

// ttrace is a hand-made trace: the journey root, its calls, and optional
// generic spans around it.
type ttrace struct {
	op     string
	failed bool
	calls  []tcall
	// wrap puts the journey root under a generic root span "edge GET /"
	// and a client span of it.
	wrap bool
	// noKinds leaves every span's kind unspecified; noStatus leaves out
	// every status and error attribute (a cut or cancelled call keeps its
	// error.type).
	noKinds, noStatus bool
}

// base is the first trace's start (Unix ns).
const base = int64(1_767_225_600_000_000_000)

func ms(x float64) int64 { return int64(math.Round(x * 1e6)) }

// spans renders trace number i.
func (tt ttrace) spans(i int) []trace.Span {
	tid := fmt.Sprintf("%032x", i+1)
	id := 0
	next := func() string { id++; return fmt.Sprintf("%08x%08x", i+1, id) }
	t0 := base + int64(i)*int64(1e9)
	end := 0.0
	for _, c := range tt.calls {
		end = math.Max(end, c.end)
	}
	gw := map[string]string{trace.AttrServiceName: "gateway"}
	root := trace.Span{TraceID: tid, SpanID: next(), Service: "gateway", Name: tt.op, Kind: trace.KindServer,
		Start: t0, End: t0 + ms(end), Error: tt.failed, Resource: gw}
	var out []trace.Span
	if tt.wrap {
		edge := trace.Span{TraceID: tid, SpanID: next(), Service: "edge", Name: "GET /", Kind: trace.KindServer,
			Start: t0 - ms(1), End: t0 + ms(end+1), Resource: map[string]string{trace.AttrServiceName: "edge"}}
		cl := trace.Span{TraceID: tid, SpanID: next(), ParentID: edge.SpanID, Service: "edge", Name: "call gateway",
			Kind: trace.KindClient, Start: t0 - ms(0.5), End: t0 + ms(end+0.5), Attrs: map[string]string{trace.AttrPeerService: "gateway"}}
		root.ParentID = cl.SpanID
		out = append(out, edge, cl)
	}
	out = append(out, root)
	for _, c := range tt.calls {
		out = append(out, c.spans(tid, root.SpanID, t0, next)...)
	}
	for k := range out {
		s := &out[k]
		if tt.noKinds {
			s.Kind = trace.KindUnspecified
		}
		if tt.noStatus {
			s.Error, s.StatusMessage = false, ""
			if e := s.Attrs[trace.AttrErrorType]; e != "timeout" && e != "cancelled" {
				delete(s.Attrs, trace.AttrErrorType)
			}
		}
	}
	return out
}

// spans renders one call: its client span and the callee's server span
// (with downstream calls), as requested.
func (c tcall) spans(tid, parent string, t0 int64, next func() string) []trace.Span {
	attrs := map[string]string{}
	if c.peer != "" && !c.noPeer {
		attrs[trace.AttrPeerService] = c.peer
	}
	for k, v := range c.attrs {
		attrs[k] = v
	}
	cl := trace.Span{TraceID: tid, SpanID: next(), ParentID: parent, Service: "gateway", Name: cmpOr(c.client, "call "+c.peer),
		Kind: trace.KindClient, Start: t0 + ms(c.start), End: t0 + ms(c.end), Attrs: attrs}
	if c.orphan {
		cl.ParentID = "ffffffffffffffff"
	}
	if c.errType != "" {
		cl.Error = true
		attrs[trace.AttrErrorType] = c.errType
	}
	var out []trace.Span
	if !c.noClient {
		out = append(out, cl)
	}
	if c.noServer {
		return out
	}
	res := map[string]string{trace.AttrServiceName: c.peer, trace.AttrK8sNamespace: "shop"}
	for k, v := range c.res {
		res[k] = v
	}
	d := math.Min(0.2, (c.end-c.start)/4)
	srv := trace.Span{TraceID: tid, SpanID: next(), ParentID: cl.SpanID, Service: c.peer, Name: cmpOr(c.op, c.peer),
		Kind: trace.KindServer, Start: t0 + ms(c.start+d+c.skew), End: t0 + ms(c.end-d+c.skew),
		Error: c.errType == "500", Resource: res}
	out = append(out, srv)
	for k, dep := range c.down {
		s := c.start + d + c.skew + 0.1*float64(k+1)
		out = append(out, trace.Span{TraceID: tid, SpanID: next(), ParentID: srv.SpanID, Service: c.peer,
			Name: "query", Kind: trace.KindClient, Start: t0 + ms(s), End: t0 + ms(s+0.05),
			Attrs: map[string]string{trace.AttrDBSystem: "postgresql", trace.AttrServerAddress: dep}})
	}
	return out
}

// lat is a deterministic pseudo-random latency in ms for trace i and
// component name, between lo and hi.
func lat(i int, name string, lo, hi float64) float64 {
	h := uint64(i)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	for _, b := range []byte(name) {
		h = (h ^ uint64(b)) * 0x100000001b3
	}
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return lo + (hi-lo)*float64(h%1_000_000)/1e6
}
