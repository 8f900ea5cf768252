package prom

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/emac-dev/emac/internal/gen/promql"
)

// Long expressions are split into intermediate recording rules.
//
// The operator algebra builds each journey SLI as one PromQL AST (a
// 1,000-leaf journey gives about 100 kB). Before it is emitted the AST is
// cut, bottom-up: wherever a sub-expression would make its parent longer
// than the split length (DefaultSplitBytes), the largest child that is a plain vector (one series
// labelled journey="J", see plain) moves into a rule of its own,
//
//	journey:emac_node_availability:<bound>rate<w>{journey="J", node="<path>"}
//
// and the parent reads it back as
//
//	sum without (node) (journey:emac_node_availability:<bound>rate<w>{journey="J", node="<path>"})
//
// which is the same single series, so the cut changes no value: an absent
// or NaN sub-expression gives an absent or NaN intermediate series, read
// back as such in the same evaluation (the rules of a group are evaluated
// in order, each seeing the samples its predecessors wrote). <path> is the
// operator path (compute.Step.Path) of the innermost node the
// sub-expression belongs to, with "#k" appended when one node needs
// several rules. <bound> is "optimistic_" or "pessimistic_" when only one
// of the two SLIs reads the rule, empty when both do (sub-trees without
// redundancy are the same in both: one rule serves them). Sub-expressions
// printed alike are recorded once.
//
// Long n-ary products, sums and extrema are built as balanced trees of
// short chains (flatMax), so the cuts find units of bounded size; every
// emitted expression is at most MaxExprBytes (checked on the printed
// text).

// MaxExprBytes is the longest PromQL expression a generated rule has.
const MaxExprBytes = 16 << 10

// DefaultSplitBytes is the length beyond which a sub-expression is
// recorded on its own. Small pieces keep a canary gate small (it inlines
// the pieces on its component's path, SLIs) at the price of more rules: at
// 1.5 kB a 1,000-leaf journey has about 220 intermediate rules a window
// and gate queries of about 7 kB a component.
const DefaultSplitBytes = 1536

// NodeRecordPrefix starts the names of the intermediate availability
// rules; NodeRecord completes them.
const NodeRecordPrefix = "journey:emac_node_availability:"

// NodeRecord is the name of an intermediate availability rule over window
// w read by the optimistic SLI (bound "optimistic"), the pessimistic one
// ("pessimistic") or both ("").
func NodeRecord(bound, w string) string {
	if bound != "" {
		bound += "_"
	}
	return NodeRecordPrefix + bound + "rate" + w
}

// NodeLatencyRecord is the name of an intermediate rule of the latency
// bound over window w.
func NodeLatencyRecord(w string) string { return "journey:emac_node_latency_upper_seconds:rate" + w }

// NodeLabel is the label of an intermediate rule naming the operator
// node it computes.
const NodeLabel = "node"

// Bounds an intermediate rule serves.
const (
	forOptimistic uint8 = 1 << iota
	forPessimistic
)

// piece is a cut sub-expression: the rule that records it and the shared
// selector that reads it (named once all its readers are known).
type piece struct {
	expr  parser.Expr // the sub-expression, its own long children cut
	sel   *parser.VectorSelector
	ref   parser.Expr
	path  string
	users uint8
}

// cutter splits the expressions of one window.
type cutter struct {
	journey string
	w       string
	// paths maps the AST of every node's value to the node's path.
	paths map[parser.Expr]string
	// drop are the labels a reference aggregates away.
	drop []string
	// latency makes the pieces latency rules.
	latency bool
	limit   int

	// uses counts the parents of every sub-expression in the DAG the
	// window's expressions form (count), canon maps every node to the
	// node printed alike that stands for it, ids numbers the canonical
	// nodes and byKey finds them by their node and children.
	uses   map[parser.Expr]int
	canon  map[parser.Expr]parser.Expr
	ids    map[parser.Expr]int
	byKey  map[string]parser.Expr
	size   map[parser.Expr]int
	tagged map[parser.Expr]bool
	byExpr map[parser.Expr]*piece // cut sub-expressions
	refs   map[parser.Expr]*piece // their references
	byText map[string]*piece
	pieces []*piece
	roots  []root
	// refBytes bounds a reference's printed length without its path.
	refBytes int
}

// root is a cut expression and the bounds that read it.
type root struct {
	e     parser.Expr
	users uint8
}

func newCutter(journey, w string, paths map[parser.Expr]string, limit int) *cutter {
	if limit <= 0 {
		limit = DefaultSplitBytes
	}
	return &cutter{journey: journey, w: w, paths: paths, drop: []string{NodeLabel}, limit: limit,
		uses: map[parser.Expr]int{}, size: map[parser.Expr]int{}, tagged: map[parser.Expr]bool{},
		byExpr: map[parser.Expr]*piece{}, refs: map[parser.Expr]*piece{}, byText: map[string]*piece{}}
}

// count makes sub-expressions printed alike one node (the algebra builds
// some many times over: a KofN's group laws once per combination) and
// notes the parents of every sub-expression; call it on every expression
// of the window before run. It returns e's canonical node.
func (c *cutter) count(e parser.Expr) parser.Expr {
	if c.canon == nil {
		c.canon, c.ids, c.byKey = map[parser.Expr]parser.Expr{}, map[parser.Expr]int{}, map[string]parser.Expr{}
	}
	var walk func(e parser.Expr) parser.Expr
	walk = func(e parser.Expr) parser.Expr {
		if k, ok := c.canon[e]; ok {
			return k
		}
		slots := children(e)
		key := ""
		if len(slots) == 0 {
			key = e.String()
		} else {
			for _, s := range slots {
				*s = walk(*s)
			}
			key = shell(e)
			for _, s := range slots {
				key += "|" + strconv.Itoa(c.ids[*s])
			}
		}
		k, ok := c.byKey[key]
		if !ok {
			k = e
			c.byKey[key] = e
			c.ids[e] = len(c.byKey)
			for _, s := range slots {
				c.uses[*s]++
			}
		}
		c.canon[e] = k
		return k
	}
	return walk(e)
}

// shared reports whether a plain sub-expression of n bytes with u parents
// is worth recording for its own sake: evaluated once and read back, it
// costs Prometheus less than printed, parsed and evaluated at every use
// (the dynamic programming of a KofN reads every count twice, a dual Cond
// every branch once per branch).
func (c *cutter) shared(u, n int) bool {
	r := c.refLen(&piece{})
	return u >= 2 && n >= 4*r || u >= 3 && n >= 2*r
}

// run cuts e, an expression read by the given bounds, and returns it with
// its long sub-expressions replaced by references.
func (c *cutter) run(e parser.Expr, users uint8) parser.Expr {
	c.visit(&e, "")
	c.roots = append(c.roots, root{e: e, users: users})
	return e
}

// visit cuts the sub-expressions of *slot so that it prints in at most
// limit bytes where it can, and returns its printed length. Shared
// sub-expressions (the AST is a DAG) are visited once.
func (c *cutter) visit(slot *parser.Expr, path string) int {
	e := *slot
	if p, ok := c.refs[e]; ok {
		return c.refLen(p)
	}
	if p, ok := c.byExpr[e]; ok { // already recorded: read it back
		*slot = p.ref
		return c.refLen(p)
	}
	if n, ok := c.size[e]; ok {
		return n
	}
	if p, ok := c.paths[e]; ok {
		path = p
	}
	n := overhead(e)
	for _, s := range children(e) {
		n += c.visit(s, path)
	}
	for n > c.limit {
		slot := c.largest(e)
		if slot == nil {
			break
		}
		old := c.size[*slot]
		p := c.record(slot, path)
		n -= old - c.refLen(p)
	}
	c.size[e] = n
	if c.shared(c.uses[e], n) && c.plain(e) {
		return c.refLen(c.record(slot, path))
	}
	return n
}

// largest returns the slot of the largest plain sub-expression reachable
// from e through tagged ones (operands of an extremum or top-k) that is
// worth recording: longer than a reference.
func (c *cutter) largest(e parser.Expr) *parser.Expr {
	var best *parser.Expr
	bestN := c.refLen(&piece{}) + 64
	var walk func(e parser.Expr)
	walk = func(e parser.Expr) {
		for _, s := range children(e) {
			x := *s
			if _, isRef := c.refs[x]; isRef {
				continue
			}
			switch {
			case c.plain(x):
				if n := c.size[x]; n > bestN {
					best, bestN = s, n
				}
			case x.Type() == parser.ValueTypeVector:
				walk(x)
			}
		}
	}
	walk(e)
	return best
}

// record moves *slot into a piece (or reuses the piece of an expression
// printed alike) and replaces it by the piece's reference.
func (c *cutter) record(slot *parser.Expr, path string) *piece {
	e := *slot
	inner := e
	for {
		pe, ok := inner.(*parser.ParenExpr)
		if !ok {
			break
		}
		inner = pe.Expr
	}
	if p, ok := c.paths[inner]; ok {
		path = p
	}
	text := inner.String()
	p, ok := c.byText[text]
	if !ok {
		// A provisional name tells the pieces apart until rules names
		// them: texts that read different pieces must differ.
		p = &piece{expr: inner, path: path, sel: selector("emac_piece_" + strconv.Itoa(len(c.pieces)))}
		p.ref = &parser.AggregateExpr{Op: parser.SUM, Expr: p.sel, Grouping: c.drop, Without: true}
		c.refs[p.ref] = p
		c.byText[text] = p
		c.pieces = append(c.pieces, p)
	}
	c.byExpr[e] = p
	c.byExpr[inner] = p
	*slot = p.ref
	return p
}

// reads returns the pieces e reads directly (not through another piece).
func (c *cutter) reads(e parser.Expr) []*piece {
	var out []*piece
	seen := map[parser.Expr]bool{}
	var walk func(e parser.Expr)
	walk = func(e parser.Expr) {
		if seen[e] {
			return
		}
		seen[e] = true
		if p, ok := c.refs[e]; ok {
			out = append(out, p)
			return
		}
		for _, s := range children(e) {
			walk(*s)
		}
	}
	walk(e)
	return out
}

// refLen bounds the printed length of a reference to p.
func (c *cutter) refLen(p *piece) int {
	if c.refBytes == 0 {
		name := NodeRecord("pessimistic", c.w)
		if c.latency {
			name = NodeLatencyRecord(c.w)
		}
		ref := &parser.AggregateExpr{Op: parser.SUM, Grouping: c.drop, Without: true,
			Expr: selector(name, "journey", c.journey, NodeLabel, "")}
		c.refBytes = len(ref.String()) + 8 // room for "#k"
	}
	return c.refBytes + len(strconv.Quote(p.path))
}

// plain reports whether e is a vector whose only label is journey (or no
// label, for the latency bound): an expression the algebra can read back
// from a recorded series. Operands tagged with extremumLabel for an
// extremum or a top-k are not.
func (c *cutter) plain(e parser.Expr) bool {
	if e.Type() != parser.ValueTypeVector {
		return false
	}
	switch e.(type) {
	case *parser.VectorSelector, *parser.NumberLiteral:
		return false
	}
	return !c.isTagged(e)
}

// isTagged reports whether e's series carry extremumLabel.
func (c *cutter) isTagged(e parser.Expr) bool {
	if t, ok := c.tagged[e]; ok {
		return t
	}
	t := false
	switch n := e.(type) {
	case *parser.Call:
		if n.Func.Name == "label_replace" {
			t = true
			break
		}
		for _, a := range n.Args {
			t = t || c.isTagged(a)
		}
	case *parser.AggregateExpr:
		switch {
		case n.Op == parser.TOPK || n.Op == parser.BOTTOMK: // selects series, keeps their labels
			t = c.isTagged(n.Expr)
		case n.Without && slices.Contains(n.Grouping, extremumLabel):
		case !n.Without && !slices.Contains(n.Grouping, extremumLabel):
		default:
			t = c.isTagged(n.Expr)
		}
	case *parser.BinaryExpr:
		t = c.isTagged(n.LHS) || c.isTagged(n.RHS)
	case *parser.ParenExpr:
		t = c.isTagged(n.Expr)
	case *parser.UnaryExpr:
		t = c.isTagged(n.Expr)
	}
	c.tagged[e] = t
	return t
}

// children returns the slots of e's sub-expressions.
func children(e parser.Expr) []*parser.Expr {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return []*parser.Expr{&n.Expr}
	case *parser.UnaryExpr:
		return []*parser.Expr{&n.Expr}
	case *parser.BinaryExpr:
		return []*parser.Expr{&n.LHS, &n.RHS}
	case *parser.Call:
		out := make([]*parser.Expr, len(n.Args))
		for i := range n.Args {
			out[i] = &n.Args[i]
		}
		return out
	case *parser.AggregateExpr:
		if n.Param != nil {
			return []*parser.Expr{&n.Param, &n.Expr}
		}
		return []*parser.Expr{&n.Expr}
	}
	return nil
}

// zero is the one-character stand-in for a child when measuring a node's
// own share of its printed length.
var zero = &parser.NumberLiteral{Val: 0}

// shell prints e with every child printed as 0.
func shell(e parser.Expr) string {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return "(0)"
	case *parser.UnaryExpr:
		return n.Op.String() + "0"
	case *parser.BinaryExpr:
		s := *n
		s.LHS, s.RHS = zero, zero
		return s.String()
	case *parser.Call:
		s := *n
		s.Args = make(parser.Expressions, len(n.Args))
		for i := range s.Args {
			s.Args[i] = zero
		}
		return s.String()
	case *parser.AggregateExpr:
		s := *n
		s.Expr = zero
		if n.Param != nil {
			s.Param = zero
		}
		return s.String()
	}
	return e.String()
}

// overhead returns the printed length of e without its children's.
func overhead(e parser.Expr) int {
	switch n := e.(type) {
	case *parser.ParenExpr:
		return 2
	case *parser.UnaryExpr:
		return len(n.Op.String())
	case *parser.BinaryExpr:
		s := *n
		s.LHS, s.RHS = zero, zero
		return len(s.String()) - 2
	case *parser.Call:
		s := *n
		s.Args = make(parser.Expressions, len(n.Args))
		for i := range s.Args {
			s.Args[i] = zero
		}
		return len(s.String()) - len(n.Args)
	case *parser.AggregateExpr:
		s := *n
		s.Expr = zero
		k := 1
		if n.Param != nil {
			s.Param = zero
			k++
		}
		return len(s.String()) - k
	}
	return len(e.String())
}

// rules names the pieces and returns their rules, dependencies first
// (the order they were cut in). A piece serves the bounds of every
// expression that reads it.
func (c *cutter) rules() ([]rulefmt.Rule, error) {
	for _, r := range c.roots {
		for _, p := range c.reads(r.e) {
			p.users |= r.users
		}
	}
	for i := len(c.pieces) - 1; i >= 0; i-- {
		p := c.pieces[i]
		for _, k := range c.reads(p.expr) {
			k.users |= p.users
		}
	}
	used := map[string]int{}
	out := make([]rulefmt.Rule, 0, len(c.pieces))
	for _, p := range c.pieces {
		name := NodeLatencyRecord(c.w)
		if !c.latency {
			switch p.users {
			case forOptimistic:
				name = NodeRecord("optimistic", c.w)
			case forPessimistic:
				name = NodeRecord("pessimistic", c.w)
			default:
				name = NodeRecord("", c.w)
			}
		}
		label := p.path
		if label == "" {
			label = "root"
		}
		key := name + "\x00" + label
		if k := used[key]; k > 0 {
			used[key] = k + 1
			label += "#" + strconv.Itoa(k+1)
		} else {
			used[key] = 1
		}
		*p.sel = *selector(name, "journey", c.journey, NodeLabel, label)
	}
	for _, p := range c.pieces {
		text, err := promql.Reparse(p.expr)
		if err != nil {
			return nil, err
		}
		if len(text) > MaxExprBytes {
			return nil, fmt.Errorf("intermediate rule of %s has %d bytes, more than %d", p.path, len(text), MaxExprBytes)
		}
		node := ""
		for _, m := range p.sel.LabelMatchers {
			if m.Name == NodeLabel {
				node = m.Value
			}
		}
		out = append(out, rulefmt.Rule{Record: p.sel.Name, Expr: text,
			Labels: map[string]string{"journey": c.journey, NodeLabel: node}})
	}
	return out, nil
}
