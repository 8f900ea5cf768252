package infer

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// Component identity: what a call calls.

// Ways of grouping calls into components (Options.GroupBy).
const (
	// GroupByOperation makes one component per operation of a service
	// (cartservice.GetCart and cartservice.EmptyCart are two).
	GroupByOperation = "operation"
	// GroupByService folds the operations of a service into one
	// component.
	GroupByService = "service"
)

// Attribute keys that name operations (OpenTelemetry semantic
// conventions; older names of the HTTP ones too).
const (
	attrRPCMethod     = "rpc.method"
	attrHTTPRoute     = "http.route"
	attrHTTPMethod    = "http.request.method"
	attrHTTPMethodOld = "http.method"
)

// compKey identifies a component: the callee's service and the
// operation called ("" when grouped by service).
type compKey struct {
	service, op string
}

// serverOperation names the operation a server span serves: rpc.method,
// else the HTTP method and route (the span name when it already holds
// the route), else the span name.
func serverOperation(s *trace.Span) string {
	if m := s.Attrs[attrRPCMethod]; m != "" {
		return m
	}
	if r := s.Attrs[attrHTTPRoute]; r != "" {
		if strings.HasSuffix(s.Name, r) {
			return s.Name
		}
		if m := cmp.Or(s.Attrs[attrHTTPMethod], s.Attrs[attrHTTPMethodOld]); m != "" {
			return m + " " + r
		}
		return r
	}
	return s.Name
}

// clientOperation names the operation a call span calls when the callee
// has no server span: rpc.method, else the span name without emac's
// "call " prefix.
func clientOperation(s *trace.Span) string {
	if m := s.Attrs[attrRPCMethod]; m != "" {
		return m
	}
	return strings.TrimPrefix(s.Name, "call ")
}

// key returns the component key of a callee: service and operation, the
// operation left out when components are grouped by service.
func (b *Builder) key(service, op string) compKey {
	if b.opts.GroupBy == GroupByService {
		if service == "" {
			return compKey{service: op}
		}
		return compKey{service: service}
	}
	return compKey{service: service, op: op}
}

// readable maps a name seen in traces onto the characters a component
// name may hold: letters, digits, '_', '.' and '-', starting with a
// letter or '_'; a run of other characters becomes one '_', and '_' and
// '.' are trimmed at both ends.
func readable(s string) string {
	var b strings.Builder
	under := false
	for _, r := range s {
		ok := r == '_' || r == '.' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if !ok || r == '_' {
			under = true
			continue
		}
		if under && b.Len() > 0 {
			b.WriteByte('_')
		}
		under = false
		if r == '.' && strings.HasSuffix(b.String(), ".") {
			continue
		}
		b.WriteRune(r)
	}
	return strings.Trim(b.String(), "._")
}

// displayName is a component's name: SERVICE.OPERATION, SERVICE alone
// when the operation is named after the service (or there is none), the
// operation alone when the service is unknown; always a valid component
// name.
func displayName(k compKey) string {
	svc, op := readable(k.service), readable(k.op)
	var n string
	switch {
	case op == "" || op == svc || k.op == k.service:
		n = svc
	case svc == "":
		n = op
	default:
		n = svc + "." + op
	}
	switch {
	case n == "":
		n = "_"
	case n == "skip":
		n = "skip_"
	case n[0] == '-' || n[0] >= '0' && n[0] <= '9':
		n = "c_" + n
	}
	return n
}

// componentNames names the components in keys, distinct names for
// distinct keys (a suffix _2, _3 … for keys whose names would collide),
// in the order of keys sorted by service and operation.
func componentNames(keys []compKey) map[compKey]string {
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b compKey) int {
		return cmp.Or(strings.Compare(a.service, b.service), strings.Compare(a.op, b.op))
	})
	out := map[compKey]string{}
	used := map[string]bool{}
	for _, k := range sorted {
		base := displayName(k)
		n := base
		for i := 2; used[n]; i++ {
			n = fmt.Sprintf("%s_%d", base, i)
		}
		used[n] = true
		out[k] = n
	}
	return out
}
