package infer

import (
	"cmp"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// traceIndex links the spans of one trace: parent[i] is the index of span
// i's parent, −1 for a root or an orphan (a parent not in the trace).
type traceIndex struct {
	spans    []trace.Span
	parent   []int
	children [][]int
	orphans  []int
	mixed    bool
	// kinded is false when no span of the trace had a kind: roles were
	// inferred (inferKinds).
	kinded bool
}

func newTraceIndex(spans []trace.Span) *traceIndex {
	t := &traceIndex{}
	id := spans[0].TraceID
	for _, s := range spans {
		if s.TraceID != id {
			t.mixed = true
			continue
		}
		t.spans = append(t.spans, s)
	}
	byID := make(map[string]int, len(t.spans))
	for i, s := range t.spans {
		if _, dup := byID[s.SpanID]; !dup {
			byID[s.SpanID] = i
		}
	}
	t.parent = make([]int, len(t.spans))
	t.children = make([][]int, len(t.spans))
	for i, s := range t.spans {
		p, ok := byID[s.ParentID]
		if s.ParentID == "" || !ok || p == i {
			t.parent[i] = -1
			if s.ParentID != "" {
				t.orphans = append(t.orphans, i)
			}
			continue
		}
		t.parent[i] = p
		t.children[p] = append(t.children[p], i)
	}
	t.joinShared()
	t.kinded = slices.ContainsFunc(t.spans, func(s trace.Span) bool { return s.Kind != trace.KindUnspecified })
	if !t.kinded {
		t.inferKinds()
	}
	for i := range t.children {
		slices.SortStableFunc(t.children[i], func(a, b int) int { return compareSpans(&t.spans[a], &t.spans[b]) })
	}
	return t
}

// joinShared moves to the server half of a Zipkin shared span (a
// server span marked Shared, child of its client half) the children
// that Zipkin parents to the shared ID, hence to the client half: the
// children of the server's service (all of them when client and server
// have one service).
func (t *traceIndex) joinShared() {
	for i := range t.spans {
		s := &t.spans[i]
		p := t.parent[i]
		if !s.Shared || p < 0 {
			continue
		}
		same := serviceOf(&t.spans[p]) == serviceOf(s)
		var keep []int
		for _, c := range t.children[p] {
			if c != i && (same || serviceOf(&t.spans[c]) == serviceOf(s)) {
				t.parent[c] = i
				t.children[i] = append(t.children[i], c)
				continue
			}
			keep = append(keep, c)
		}
		t.children[p] = keep
	}
}

// inferKinds gives the spans of a trace without any kind their roles
// from service changes: a root, and a span whose parent is of another
// service, is a server span; a span of its parent's service with a child
// of another service is a client span (the call). The others stay
// unspecified (internal work, or a call that names its peer).
func (t *traceIndex) inferKinds() {
	for i := range t.spans {
		s := &t.spans[i]
		p := t.parent[i]
		if p < 0 || serviceOf(&t.spans[p]) != serviceOf(s) {
			s.Kind = trace.KindServer
		}
	}
	for i := range t.spans {
		s := &t.spans[i]
		if s.Kind != trace.KindUnspecified {
			continue
		}
		for _, c := range t.children[i] {
			if serviceOf(&t.spans[c]) != serviceOf(s) {
				s.Kind = trace.KindClient
				break
			}
		}
	}
}

func compareSpans(a, b *trace.Span) int {
	switch {
	case a.Start != b.Start:
		return cmp.Compare(a.Start, b.Start)
	case a.SpanID < b.SpanID:
		return -1
	case a.SpanID > b.SpanID:
		return 1
	}
	return 0
}

// earliest returns the index of the span that starts first.
func (t *traceIndex) earliest() int {
	best := 0
	for i := range t.spans {
		if compareSpans(&t.spans[i], &t.spans[best]) < 0 {
			best = i
		}
	}
	return best
}

// hasAncestor reports whether a proper ancestor of span i satisfies f.
func (t *traceIndex) hasAncestor(i int, f func(int) bool) bool {
	for n, p := 0, t.parent[i]; p >= 0 && n < len(t.spans); n, p = n+1, t.parent[p] {
		if f(p) {
			return true
		}
	}
	return false
}

// ancestorMatches returns, for every span, whether a proper ancestor of
// it has match set: hasAncestor for all spans at once, in time linear in
// the spans. Each span's answer is computed once, from its parent's; the
// spans of a parent cycle are each other's ancestors.
func (t *traceIndex) ancestorMatches(match []bool) []bool {
	const (
		unknown = iota
		visiting
		done
	)
	state := make([]uint8, len(t.spans))
	out := make([]bool, len(t.spans))
	var path []int
	for i := range t.spans {
		path = path[:0]
		j := i
		for j >= 0 && state[j] == unknown {
			state[j] = visiting
			path = append(path, j)
			j = t.parent[j]
		}
		above := false // whether a proper ancestor of path's last span matches
		switch {
		case j >= 0 && state[j] == done:
			above = out[j] || match[j]
		case j >= 0: // a cycle through j, which is on path
			for _, k := range path[slices.Index(path, j):] {
				above = above || match[k]
			}
		}
		for k := len(path) - 1; k >= 0; k-- {
			p := path[k]
			out[p], state[p] = above, done
			above = above || match[p]
		}
	}
	return out
}

// isCall reports whether span s is an outgoing call: a client or producer
// span, or an unspecified one naming its peer.
func isCall(s *trace.Span) bool {
	switch s.Kind {
	case trace.KindClient, trace.KindProducer:
		return true
	case trace.KindUnspecified:
		return s.Attrs[trace.AttrPeerService] != "" || s.Attrs[trace.AttrDBSystem] != "" ||
			s.Attrs[trace.AttrServerAddress] != ""
	}
	return false
}

// directCalls returns the calls made by span i: its call children, and the
// calls below its internal children. A server child without a client span
// counts as a call (the client span is missing).
func (t *traceIndex) directCalls(i int) []int {
	var out []int
	seen := map[int]bool{i: true} // parent links may form cycles
	var walk func(i int)
	walk = func(i int) {
		for _, c := range t.children[i] {
			if seen[c] {
				continue
			}
			seen[c] = true
			s := &t.spans[c]
			if isCall(s) || s.Kind == trace.KindServer {
				out = append(out, c)
				continue
			}
			walk(c)
		}
	}
	walk(i)
	return out
}

// callees returns the server spans answering the calls of span i.
func (t *traceIndex) callees(i int) []int {
	var out []int
	for _, c := range t.directCalls(i) {
		if t.spans[c].Kind == trace.KindServer {
			out = append(out, c)
			continue
		}
		if s := t.serverOf(c); s >= 0 {
			out = append(out, s)
		}
	}
	return out
}

// serverOf returns the server span answering call span c, −1 if none.
func (t *traceIndex) serverOf(c int) int {
	for _, k := range t.children[c] {
		if t.spans[k].Kind == trace.KindServer {
			return k
		}
	}
	return -1
}

// instance builds the journey instance rooted at span r. withOrphans
// attaches the trace's orphan spans to it (the trace holds one instance).
func (b *Builder) instance(t *traceIndex, r int, withOrphans bool) instance {
	root := &t.spans[r]
	in := instance{start: root.Start, dur: max(root.End-root.Start, 0)}
	in.failed, in.known = rootOutcome(root)
	spans := t.directCalls(r)
	if withOrphans {
		for _, o := range t.orphans {
			if o == r || t.hasAncestor(o, func(j int) bool { return j == r }) {
				continue
			}
			b.note("orphan spans (parent missing) were attached to the journey root")
			s := &t.spans[o]
			switch {
			case isCall(s) && s.Service == root.Service, s.Kind == trace.KindServer:
				spans = append(spans, o)
			case !isCall(s):
				spans = append(spans, t.directCalls(o)...)
			}
		}
	}
	for _, c := range spans {
		if cl, ok := b.callOf(t, c, root.Start); ok {
			in.calls = append(in.calls, cl)
		}
	}
	sortCalls(in.calls)
	return in
}

func sortCalls(cs []call) {
	slices.SortFunc(cs, func(a, b call) int {
		if a.start != b.start {
			return cmp.Compare(a.start, b.start)
		}
		if a.comp != b.comp {
			return int(a.comp - b.comp)
		}
		return cmp.Compare(a.end, b.end)
	})
}

// callOf turns span c (a call, or a server span whose call is missing)
// into a call with times relative to base.
func (b *Builder) callOf(t *traceIndex, c int, base int64) (call, bool) {
	s := &t.spans[c]
	if s.Kind == trace.KindServer {
		name := serviceOf(s)
		if name == "" {
			return call{}, false
		}
		b.note("some calls have no client span; their times come from the callee's server span (clock skew corrected)")
		ci := b.comp(b.key(name, serverOperation(s)), s, "")
		b.comps[ci].server = true
		b.downstream(t, c, ci)
		st, ev, known := callOutcome(t, c, -1)
		return call{comp: ci, res: b.resource(s), start: s.Start - base, end: s.End - base,
			st: st, ev: ev, known: known, skewed: true}, true
	}
	srv := t.serverOf(c)
	var ci int32
	if srv >= 0 {
		sv := &t.spans[srv]
		ci = b.comp(b.key(cmp.Or(serviceOf(sv), peerName(s, t, -1)), serverOperation(sv)), sv, "")
	} else {
		ci = b.comp(b.key(peerService(s), clientOperation(s)), s, serviceOf(s))
	}
	info := b.comps[ci]
	if db := s.Attrs[trace.AttrDBSystem]; db != "" {
		info.db = db
	}
	st, ev, known := callOutcome(t, c, srv)
	cl := call{comp: ci, res: -1, start: s.Start - base, end: s.End - base, st: st, ev: ev, known: known}
	if srv >= 0 {
		sv := &t.spans[srv]
		info.server = true
		cl.res = b.resource(sv)
		b.downstream(t, srv, ci)
		if cl.st == stOK && !sv.Error {
			skew := float64(sv.Start+sv.End-s.Start-s.End) / 2
			info.skewSum += skew
			info.delaySum += float64(sv.Start-s.Start) - skew
			info.skewN++
		}
	}
	return cl, true
}

// peerService names the callee of a call span without a server span:
// peer.service, db.system@server.address, server.address, or "" when
// the span does not say.
func peerService(s *trace.Span) string {
	if p := s.Attrs[trace.AttrPeerService]; p != "" {
		return p
	}
	db, addr := s.Attrs[trace.AttrDBSystem], s.Attrs[trace.AttrServerAddress]
	switch {
	case db != "" && addr != "":
		return db + "@" + addr
	case addr != "":
		return addr
	}
	return db
}

// peerName names the callee of call span s whose server span is srv (−1
// if missing): peer.service, the server's service, db.system@address, the
// address, or the span name.
func peerName(s *trace.Span, t *traceIndex, srv int) string {
	if p := s.Attrs[trace.AttrPeerService]; p != "" {
		return p
	}
	if srv >= 0 {
		if n := serviceOf(&t.spans[srv]); n != "" {
			return n
		}
	}
	db, addr := s.Attrs[trace.AttrDBSystem], s.Attrs[trace.AttrServerAddress]
	switch {
	case db != "" && addr != "":
		return db + "@" + addr
	case addr != "":
		return addr
	case db != "":
		return db
	}
	return strings.TrimPrefix(s.Name, "call ")
}

func serviceOf(s *trace.Span) string {
	if s.Service != "" {
		return s.Service
	}
	return s.Resource[trace.AttrServiceName]
}

// comp returns the component of key k, seen through span s (the callee's
// server span, or the call span of caller when the callee has none).
func (b *Builder) comp(k compKey, s *trace.Span, caller string) int32 {
	i, ok := b.compIdx[k]
	if !ok {
		i = int32(len(b.comps))
		b.compIdx[k] = i
		b.comps = append(b.comps, &compInfo{key: k, downstream: map[string]int{}, spanNames: map[spanName]int{}})
	}
	if len(b.comps[i].spanNames) < maxSpanNames {
		b.comps[i].spanNames[spanName{caller: caller, name: s.Name, kind: s.Kind, service: serviceOf(s)}]++
	}
	return i
}

// maxSpanNames bounds the distinct span names kept per component.
const maxSpanNames = 64

// spanName is how a component's calls appear to a span-metrics
// connector: the service and kind of the span it counts (the callee's
// server span, or the caller's client span), and its name.
type spanName struct {
	caller, service, name string
	kind                  trace.Kind
}

// domainKeys are the resource attributes that show failure domains, with
// the domain prefix each maps to.
var domainKeys = [...]struct{ key, prefix string }{
	{trace.AttrZone, "zone/"}, {trace.AttrRegion, "region/"}, {trace.AttrK8sCluster, "cluster/"},
	{trace.AttrK8sNode, "node/"}, {trace.AttrHost, "host/"},
}

// resource interns the domain attributes of a server span's resource.
func (b *Builder) resource(s *trace.Span) int32 {
	var key strings.Builder
	m := map[string]string{}
	for _, d := range domainKeys {
		if v := s.Resource[d.key]; v != "" {
			m[d.key] = v
			key.WriteString(d.key + "=" + v + "\x00")
		}
	}
	i, ok := b.resIdx[key.String()]
	if !ok {
		i = int32(len(b.res))
		b.resIdx[key.String()] = i
		b.res = append(b.res, m)
	}
	return i
}

// downstream records the calls made by the server span srv of component
// ci.
func (b *Builder) downstream(t *traceIndex, srv int, ci int32) {
	for _, c := range t.directCalls(srv) {
		s := &t.spans[c]
		if s.Kind == trace.KindServer {
			continue
		}
		if name := dependencyName(s, t, t.serverOf(c)); name != "" {
			b.comps[ci].downstream[name]++
		}
	}
}

// dependencyName names a downstream dependency: a database instance as
// db.system@server.address, else the peer's name.
func dependencyName(s *trace.Span, t *traceIndex, srv int) string {
	db, addr := s.Attrs[trace.AttrDBSystem], s.Attrs[trace.AttrServerAddress]
	if db != "" && addr != "" {
		return db + "@" + addr
	}
	return peerName(s, t, srv)
}
