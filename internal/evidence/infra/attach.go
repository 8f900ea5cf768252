package infra

import (
	"cmp"
	"slices"
	"strings"

	"github.com/emac-dev/emac/internal/journey"
)

// Target is one component of a discovered journey, onto which Attach
// resolves the evidence.
type Target struct {
	// Name is the component's name in the model (e.g. "reviews", or
	// "cart.GetCart" for one operation of a service).
	Name string
	// Service is the service the traces name the component's calls by,
	// "" when it is the Name.
	Service string
	// Good and Total count the calls the traces saw (0 and 0 when
	// unknown).
	Good, Total int
}

// Journey is what Attach resolves the evidence onto and compares it with.
type Journey struct {
	Components []Target
	// Root is the inferred operator tree (nil when there is none).
	Root journey.Node
	// Intervals are, by derivation path (journey.ChildPath from
	// journey.Label(Root)), the confidence intervals of a Cond's branch
	// probabilities; where absent, the tree's own probabilities are used.
	Intervals map[string][]journey.Prob
}

// The kinds of Note.
const (
	NoteResolved     = "resolved"     // which objects back a component
	NoteUnresolved   = "unresolved"   // a component or destination nothing backs
	NoteUnused       = "unused"       // an object that backs no component
	NoteExternal     = "external"     // a component declared outside the cluster or mesh
	NoteNamespace    = "namespace"    // a namespace no input states
	NotePlacement    = "placement"    // a pin or spread of a component's pods
	NoteRoute        = "route"        // an Istio route of a component
	NoteMatch        = "match"        // a route rule that applies to part of the traffic
	NoteFault        = "fault"        // fault injection
	NoteWeights      = "weights"      // weights not summing to 100, or missing
	NoteShadowed     = "shadowed"     // a rule that never applies
	NoteConflict     = "conflict"     // several objects configure one host
	NotePolicy       = "policy"       // a DestinationRule traffic policy
	NoteDisagreement = "disagreement" // the configuration contradicts the traces
)

// Note is a remark on the evidence for the reviewer, at the input that
// prompted it.
type Note struct {
	Kind string `json:"kind"`
	// Source is the file:line the note is about ("" when it is about
	// something missing from every input).
	Source string `json:"source,omitempty"`
	// Components are the journey's components it concerns, sorted.
	Components []string `json:"components,omitempty"`
	Message    string   `json:"message"`
}

// Edge is one destination of an Istio route rule, resolved onto a
// journey component.
type Edge struct {
	// From is the routed host's short name; To is the journey component
	// the destination resolves to.
	From string `json:"from"`
	To   string `json:"to"`
	// Weight is the destination's share of the traffic the rule takes.
	Weight float64 `json:"weight"`
	// Conditional is true when the rule matches only part of the traffic
	// (Weight is then a share of that part).
	Conditional bool `json:"conditional,omitempty"`
	// Source is the rule's file:line; Notes describe the destination.
	Source string `json:"source"`
	Notes  string `json:"notes"`
}

// Attachment is the evidence resolved onto a journey's components.
type Attachment struct {
	// Domains are the failure-domain hypotheses over the journey's
	// components, from the workloads backing them only.
	Domains []Domain `json:"domains,omitempty"`
	// Edges are the routes' destinations, by source then target.
	Edges []Edge `json:"edges,omitempty"`
	// Notes are sorted by source, kind and message.
	Notes []Note `json:"notes,omitempty"`
}

// Attach resolves the evidence onto the journey's components by name — a
// component is backed by the workloads its name (or its service's name)
// names: a Service's selected workloads first, else a workload of that
// name, else the workloads labelled app.kubernetes.io/name, else app
// (a name "X.Y" not found is tried as X, in namespace Y when Y is one) —
// and compares the routing with the journey's tree. It returns the
// failure domains of those workloads, the route edges, and a note for
// everything a reviewer should see: what backs each component and what
// nothing backs, unknown namespaces, placement, routes with their
// matches, faults, weights, shadowed rules and conflicts, traffic
// policies, and declared values the traces contradict.
func Attach(ev Evidence, j Journey) Attachment {
	a := newAttacher(ev, j)
	a.resolveTargets()
	a.kubeNotes()
	a.meshNotes()
	out := Attachment{Domains: groupDomains(a.backing), Edges: a.edges}
	slices.SortStableFunc(out.Edges, func(x, y Edge) int {
		return cmp.Or(cmp.Compare(x.From, y.From), compareSource(x.Source, y.Source), cmp.Compare(x.To, y.To))
	})
	out.Notes = a.notes.list()
	return out
}

// noteSet gathers notes, uniting the components of notes that say the
// same thing about the same place.
type noteSet struct {
	by map[[3]string]*Note
}

func (s *noteSet) add(kind, source, message string, components ...string) {
	if s.by == nil {
		s.by = map[[3]string]*Note{}
	}
	k := [3]string{kind, source, message}
	n := s.by[k]
	if n == nil {
		n = &Note{Kind: kind, Source: source, Message: message}
		s.by[k] = n
	}
	n.Components = append(n.Components, components...)
}

func (s *noteSet) list() []Note {
	var out []Note
	for _, n := range s.by {
		slices.Sort(n.Components)
		n.Components = slices.Compact(n.Components)
		out = append(out, *n)
	}
	slices.SortFunc(out, func(x, y Note) int {
		return cmp.Or(compareSource(x.Source, y.Source), cmp.Compare(x.Kind, y.Kind), cmp.Compare(x.Message, y.Message))
	})
	return out
}

// joinNames renders names as "a, b and c".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
