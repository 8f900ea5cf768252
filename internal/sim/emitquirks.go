package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/journey"
	"github.com/emac-dev/emac/internal/model"
)

// Quirks are habits of real instrumentation and real journeys that the
// trace emitter can reproduce ("real instrumentation" mode), each named
// as on the command line (--quirks).
type Quirks struct {
	// NoKinds (nokinds): no span carries a kind.
	NoKinds bool
	// NoStatus (nostatus): no span carries a status, an error flag or a
	// status message, and a failed call no error.type; each service
	// records its answers as HTTP status codes, gRPC status codes or not
	// at all (a third of the services each, chosen by name), the journey's
	// root as an HTTP status code. A client's own decisions — a call cut by
	// a deadline or cancelled — keep error.type.
	NoStatus bool
	// ZipkinShared (zipkin-shared): the server half of each call shares
	// its client half's span ID and parent, marked shared, as Zipkin's v1
	// instrumentations record RPCs (write them as Zipkin).
	ZipkinShared bool
	// Duplicates (duplicates): 2 % of the requests' spans are written a
	// second time, 50 requests later (at-least-once export).
	Duplicates bool
	// AsyncCancel (async-cancel): a cancelled call's client span closes
	// up to 2 ms after the answer that cancelled it, when the cancelled RPC
	// returns.
	AsyncCancel bool
	// Skew (skew): each service's clock is off by up to 25 ms (instead of
	// 2 ms).
	Skew bool
	// SharedService (shared-service): components are the operations of
	// services that serve two each (in the order of the tree's leaves),
	// named as gRPC names them: span name "svcK/C" on both sides,
	// rpc.service svcK, rpc.method C.
	SharedService bool
	// Loops (loops): one component called once, twice or three times in
	// a row (a loop over items), where the tree allows (ApplyShapeQuirks).
	Loops bool
	// Cooccur (cooccur): two consecutive calls of a Series made together
	// or not at all (one optional group), where the tree allows
	// (ApplyShapeQuirks).
	Cooccur bool
}

// QuirkNames lists the quirks in the order the documentation gives them.
var QuirkNames = []string{"nokinds", "nostatus", "zipkin-shared", "duplicates", "async-cancel", "skew", "shared-service", "loops", "cooccur"}

// ParseQuirks reads a comma-separated list of quirk names ("all" for
// every one).
func ParseQuirks(list string) (Quirks, error) {
	var q Quirks
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		switch name {
		case "":
		case "all":
			q = Quirks{true, true, true, true, true, true, true, true, true}
		default:
			f := q.field(name)
			if f == nil {
				return q, fmt.Errorf("unknown quirk %q (want some of %s, or all)", name, strings.Join(QuirkNames, ", "))
			}
			*f = true
		}
	}
	return q, nil
}

func (q *Quirks) field(name string) *bool {
	switch name {
	case "nokinds":
		return &q.NoKinds
	case "nostatus":
		return &q.NoStatus
	case "zipkin-shared":
		return &q.ZipkinShared
	case "duplicates":
		return &q.Duplicates
	case "async-cancel":
		return &q.AsyncCancel
	case "skew":
		return &q.Skew
	case "shared-service":
		return &q.SharedService
	case "loops":
		return &q.Loops
	case "cooccur":
		return &q.Cooccur
	}
	return nil
}

// String lists the quirks that are on, comma-separated.
func (q Quirks) String() string {
	var on []string
	for _, name := range QuirkNames {
		if *q.field(name) {
			on = append(on, name)
		}
	}
	return strings.Join(on, ",")
}

// Identity is how a component appears in emitted traces: its service
// and the operation called.
type Identity struct {
	Service, Operation string
}

// Identities returns, for every component of j's tree, its service and
// operation in traces emitted with q: by default the service and
// operation are the component's name (a name "svc.Op" is service svc,
// operation Op); with SharedService the leaves' components, in tree
// order, are paired onto services svc0, svc1 …, each component an
// operation named after it.
func Identities(j *model.Journey, q Quirks) map[string]Identity {
	out := map[string]Identity{}
	var names []string
	for _, name := range journey.Leaves(j.Root) {
		if _, seen := out[name]; !seen && j.Components[name] != nil {
			names = append(names, name)
			out[name] = Identity{}
		}
	}
	for i, name := range names {
		switch {
		case q.SharedService:
			out[name] = Identity{Service: fmt.Sprintf("svc%d", i/2), Operation: name}
		case strings.Contains(name, "."):
			svc, op, _ := strings.Cut(name, ".")
			out[name] = Identity{Service: svc, Operation: op}
		default:
			out[name] = Identity{Service: name, Operation: name}
		}
	}
	return out
}

// ApplyShapeQuirks returns j with the journey shapes of q (Loops,
// Cooccur) written into its tree, chosen by seed; j itself is not
// changed. The result is the truth the emitted traces follow.
//
//   - Loops: the first leaf (in a seeded order) that is a Series step or
//     the root and lies under no Race, KofN, Timeout or Retry becomes
//     Cond(0.5, 0.3, 0.2; c, Series(c, c), Series(c, c, c)).
//   - Cooccur: in the first Series (seeded order) under no Race, KofN,
//     Timeout or Retry that has three or more steps, two consecutive
//     leaves (not the only mandatory step left) become
//     Cond(p; Series(a, b), skip), p between 0.3 and 0.8.
func ApplyShapeQuirks(j *model.Journey, q Quirks, seed uint64) *model.Journey {
	if !q.Loops && !q.Cooccur {
		return j
	}
	out := *j
	out.Root = cloneNode(j.Root)
	r := rand.New(rand.NewPCG(seed, streamShape))
	if q.Cooccur {
		out.Root = cooccur(out.Root, r)
	}
	if q.Loops {
		out.Root = loop(out.Root, r)
	}
	return &out
}

// streamShape seeds ApplyShapeQuirks's choices.
const streamShape = 0x656d69745f736870

// plainSlots returns the places of the tree under no Race, KofN, Timeout
// or Retry: pointers to the child slots of Series steps (and the root).
func plainSlots(root *journey.Node) []*journey.Node {
	var out []*journey.Node
	var walk func(p *journey.Node)
	walk = func(p *journey.Node) {
		out = append(out, p)
		switch n := (*p).(type) {
		case *journey.Series:
			for i := range n.Steps {
				walk(&n.Steps[i])
			}
		case *journey.Parallel:
			for i := range n.Branches {
				walk(&n.Branches[i])
			}
		case *journey.Cond:
			for i := range n.Branches {
				walk(&n.Branches[i])
			}
		}
	}
	walk(root)
	return out
}

func loop(root journey.Node, r *rand.Rand) journey.Node {
	slots := plainSlots(&root)
	r.Shuffle(len(slots), func(i, k int) { slots[i], slots[k] = slots[k], slots[i] })
	parentIsSeries := map[*journey.Node]bool{&root: true}
	for _, p := range plainSlots(&root) {
		if s, ok := (*p).(*journey.Series); ok {
			for i := range s.Steps {
				parentIsSeries[&s.Steps[i]] = true
			}
		}
	}
	for _, p := range slots {
		l, ok := (*p).(*journey.Leaf)
		if !ok || !parentIsSeries[p] {
			continue
		}
		rep := func(k int) journey.Node {
			if k == 1 {
				return &journey.Leaf{Name: l.Name}
			}
			s := &journey.Series{}
			for range k {
				s.Steps = append(s.Steps, &journey.Leaf{Name: l.Name})
			}
			return s
		}
		*p = &journey.Cond{Probs: points(0.5, 0.3, 0.2), Branches: []journey.Node{rep(1), rep(2), rep(3)}}
		break
	}
	return root
}

func cooccur(root journey.Node, r *rand.Rand) journey.Node {
	slots := plainSlots(&root)
	r.Shuffle(len(slots), func(i, k int) { slots[i], slots[k] = slots[k], slots[i] })
	for _, p := range slots {
		s, ok := (*p).(*journey.Series)
		if !ok || len(s.Steps) < 3 {
			continue
		}
		for i := 0; i+1 < len(s.Steps); i++ {
			_, a := s.Steps[i].(*journey.Leaf)
			_, b := s.Steps[i+1].(*journey.Leaf)
			if !a || !b || !mandatoryLeft(s.Steps, i) {
				continue
			}
			pr := 0.3 + 0.5*r.Float64()
			pr = float64(int(pr*100)) / 100
			c := &journey.Cond{Probs: points(pr, 1-pr), Branches: []journey.Node{
				&journey.Series{Steps: []journey.Node{s.Steps[i], s.Steps[i+1]}}, &journey.Skip{}}}
			s.Steps = slices.Replace(s.Steps, i, i+2, journey.Node(c))
			return root
		}
	}
	return root
}

// mandatoryLeft reports whether a step other than i and i+1 is not
// optional (a Cond with a skip branch).
func mandatoryLeft(steps []journey.Node, i int) bool {
	for k, st := range steps {
		if k == i || k == i+1 {
			continue
		}
		c, ok := st.(*journey.Cond)
		if !ok || !slices.ContainsFunc(c.Branches, func(b journey.Node) bool { _, skip := b.(*journey.Skip); return skip }) {
			return true
		}
	}
	return false
}

func points(ps ...float64) []journey.Prob {
	out := make([]journey.Prob, len(ps))
	for i, p := range ps {
		out[i] = journey.Prob{Lo: p, Hi: p}
	}
	return out
}

// cloneNode copies a tree (parameters and positions included).
func cloneNode(n journey.Node) journey.Node {
	kids := func(ns []journey.Node) []journey.Node {
		out := make([]journey.Node, len(ns))
		for i, c := range ns {
			out[i] = cloneNode(c)
		}
		return out
	}
	switch n := n.(type) {
	case *journey.Leaf:
		c := *n
		return &c
	case *journey.Skip:
		c := *n
		return &c
	case *journey.Series:
		c := *n
		c.Steps = kids(n.Steps)
		return &c
	case *journey.Parallel:
		c := *n
		c.Branches = kids(n.Branches)
		return &c
	case *journey.Cond:
		c := *n
		c.Probs = slices.Clone(n.Probs)
		c.Branches = kids(n.Branches)
		return &c
	case *journey.Race:
		c := *n
		c.Branches = kids(n.Branches)
		return &c
	case *journey.KofN:
		c := *n
		c.Branches = kids(n.Branches)
		return &c
	case *journey.Timeout:
		c := *n
		c.Primary = cloneNode(n.Primary)
		if n.Fallback != nil {
			c.Fallback = cloneNode(n.Fallback)
		}
		return &c
	case *journey.Retry:
		c := *n
		c.Target = cloneNode(n.Target)
		return &c
	}
	return n
}
