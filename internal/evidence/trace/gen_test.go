package trace

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// Synthetic traces following the conventions of emac's simulator: a
// gateway server root per journey request, one gateway client span per
// leaf call, and one server span per instrumented component, with the
// component's failure domains as resource attributes.

type genComponent struct {
	name     string
	dbSystem string // cache/database kinds
	external bool   // uninstrumented: no server span
	resource map[string]string
}

func genComponents() []genComponent {
	res := func(name string, kv ...string) map[string]string {
		m := map[string]string{AttrServiceName: name, AttrK8sNamespace: "shop"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return []genComponent{
		{name: "frontend", resource: res("frontend", AttrZone, "eu-west-1a", AttrK8sNode, "node-1")},
		{name: "cache", dbSystem: "redis", resource: res("cache", AttrZone, "eu-west-1b", AttrHost, "cache-1")},
		{name: "catalog", dbSystem: "postgresql", resource: res("catalog", AttrRegion, "eu-west-1", AttrK8sCluster, "prod")},
		{name: "cart", resource: res("cart", AttrZone, "eu-west-1a", AttrK8sNode, "node-2")},
		{name: "paya", external: true},
		{name: "queue", resource: res("queue", AttrZone, "eu-west-1c")},
	}
}

var gatewayResource = map[string]string{AttrServiceName: "gateway"}

// genTrace returns trace number i: a root and 2–6 leaf calls.
func genTrace(r *rand.Rand, i int, comps []genComponent) []Span {
	journeys := []string{"checkout", "browse", "search"}
	tid := fmt.Sprintf("%016x%016x", r.Uint64(), uint64(i)+1)
	start := int64(1_700_000_000_000_000_000) + int64(i)*1_000_000 + r.Int64N(1000)
	root := Span{
		TraceID: tid, SpanID: fmt.Sprintf("%016x", r.Uint64()|1), Service: "gateway",
		Name: journeys[i%len(journeys)], Kind: KindServer, Start: start,
		Resource: gatewayResource,
	}
	spans := []Span{root}
	t := start + r.Int64N(200_000)
	calls := 2 + r.IntN(5)
	for c := 0; c < calls; c++ {
		comp := comps[r.IntN(len(comps))]
		d := 1_000_000 + r.Int64N(20_000_000)
		client := Span{
			TraceID: tid, SpanID: fmt.Sprintf("%016x", r.Uint64()|1), ParentID: root.SpanID,
			Service: "gateway", Name: "call " + comp.name, Kind: KindClient, Start: t, End: t + d,
			Attrs: map[string]string{AttrPeerService: comp.name}, Resource: gatewayResource,
		}
		if comp.dbSystem != "" {
			client.Attrs[AttrDBSystem] = comp.dbSystem
		}
		if comp.external {
			client.Attrs[AttrServerAddress] = comp.name + ".example.com"
		}
		failed := r.Float64() < 0.05
		if failed {
			client.Error = true
			client.Attrs[AttrErrorType] = []string{"500", "timeout", "cancelled"}[r.IntN(3)]
			client.StatusMessage = "call failed"
		}
		spans = append(spans, client)
		if !comp.external {
			gap := 100_000 + r.Int64N(400_000)
			skew := r.Int64N(4_000_000) - 2_000_000
			spans = append(spans, Span{
				TraceID: tid, SpanID: fmt.Sprintf("%016x", r.Uint64()|1), ParentID: client.SpanID,
				Service: comp.name, Name: "handle", Kind: KindServer,
				Start: t + gap + skew, End: t + d - gap + skew, Error: failed, Resource: comp.resource,
			})
		}
		t += d + r.Int64N(200_000)
		if failed {
			spans[0].Error = true
			break
		}
	}
	spans[0].End = t
	return spans
}

// dumpSpan prints a span on one line, maps sorted.
func dumpSpan(s *Span) string {
	return fmt.Sprintf("trace=%s span=%s parent=%s svc=%q name=%q kind=%s start=%d end=%d error=%t msg=%q attrs=%s resource=%s",
		s.TraceID, s.SpanID, s.ParentID, s.Service, s.Name, s.Kind, s.Start, s.End, s.Error, s.StatusMessage,
		dumpMap(s.Attrs), dumpMap(s.Resource))
}

func dumpMap(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	b.WriteByte('}')
	return b.String()
}
