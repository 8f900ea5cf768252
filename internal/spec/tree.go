package spec

import (
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/api/v1alpha1"
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
)

// allowedKeys lists the keys each operator type accepts (besides type, name
// and probability, which every node may carry).
var allowedKeys = map[string][]string{
	"series":   {"steps"},
	"parallel": {"branches", "join"},
	"cond":     {"branches"},
	"race":     {"branches", "semantics", "hedgeAfter"},
	"kofn":     {"branches", "k"},
	"timeout":  {"timeout", "primary", "fallback", "timeoutProbability"},
	"retry":    {"attempts", "perTryTimeout", "backoff", "target", "timeoutProbability"},
	"skip":     {},
}

// presentKeys returns the operator-specific keys set on n.
func presentKeys(n *v1alpha1.OperatorNode) []string {
	var keys []string
	add := func(set bool, k string) {
		if set {
			keys = append(keys, k)
		}
	}
	add(n.Steps != nil, "steps")
	add(n.Branches != nil, "branches")
	add(n.Join != "", "join")
	add(n.Semantics != "", "semantics")
	add(n.HedgeAfter != nil, "hedgeAfter")
	add(n.K != nil, "k")
	add(n.Timeout != nil, "timeout")
	add(n.Primary != nil, "primary")
	add(n.Fallback != nil, "fallback")
	add(n.Attempts != nil, "attempts")
	add(n.PerTryTimeout != nil, "perTryTimeout")
	add(n.Backoff != nil, "backoff")
	add(n.Target != nil, "target")
	add(n.TimeoutProbability != nil, "timeoutProbability")
	return keys
}

// treeBuilder converts the YAML operator tree into journey nodes.
type treeBuilder struct {
	diags *diag.List
}

func (b *treeBuilder) errorf(pos diag.Pos, format string, args ...any) {
	b.diags.Errorf(pos, format, args...)
}

// build converts one node; it returns nil after reporting an error.
func (b *treeBuilder) build(n *v1alpha1.OperatorNode) journey.Node {
	if n.Ref != "" {
		if n.Type != "" && n.Type != "leaf" {
			b.errorf(n.Pos, "a node has either ref (a leaf) or type (an operator), not both")
			return nil
		}
		if keys := presentKeys(n); len(keys) > 0 {
			b.errorf(n.Pos, "leaf %q cannot have %s", n.Ref, strings.Join(keys, ", "))
		}
		if n.Ref == "skip" {
			return &journey.Skip{At: journey.At{Pos: n.Pos}}
		}
		return &journey.Leaf{At: journey.At{Pos: n.Pos}, Name: n.Ref}
	}
	typ := strings.ToLower(n.Type)
	allowed, ok := allowedKeys[typ]
	if !ok {
		if n.Type == "" {
			b.errorf(n.Pos, "operator node needs type (series, parallel, cond, race, kofn, timeout, retry, skip) or ref")
		} else {
			b.errorf(n.Pos, "unknown operator type %q (want series, parallel, cond, race, kofn, timeout, retry or skip)", n.Type)
		}
		return nil
	}
	for _, k := range presentKeys(n) {
		if !slices.Contains(allowed, k) {
			b.errorf(n.Pos, "%s is not a field of a %s node (allowed: %s)", k, typ, strings.Join(allowed, ", "))
		}
	}
	for _, d := range []*v1alpha1.Duration{n.HedgeAfter, n.Timeout, n.PerTryTimeout, n.Backoff} {
		if d != nil && d.Invalid {
			return nil // already reported while decoding
		}
	}
	return b.buildOp(typ, n)
}

func (b *treeBuilder) buildOp(typ string, n *v1alpha1.OperatorNode) journey.Node {
	at := journey.At{Pos: n.Pos}
	switch typ {
	case "skip":
		return &journey.Skip{At: at}
	case "series":
		return &journey.Series{At: at, Steps: b.list(n, n.Steps, "steps")}
	case "parallel":
		if n.Join != "" && n.Join != "all" {
			b.errorf(n.Pos, "parallel join %q is not supported (want all; use kofn for k-of-n joins)", n.Join)
		}
		return &journey.Parallel{At: at, Branches: b.list(n, n.Branches, "branches")}
	case "cond":
		return b.cond(n)
	case "race":
		if n.Semantics != "" && n.Semantics != "hedged" && n.Semantics != "first" {
			b.errorf(n.Pos, "race semantics %q is not supported (want hedged or first)", n.Semantics)
		}
		return &journey.Race{At: at, HedgeAfter: seconds(n.HedgeAfter), Branches: b.list(n, n.Branches, "branches")}
	case "kofn":
		k := 0
		if n.K == nil {
			b.errorf(n.Pos, "kofn needs k")
		} else {
			k = *n.K
		}
		return &journey.KofN{At: at, K: k, Branches: b.list(n, n.Branches, "branches")}
	case "timeout":
		return b.timeout(n)
	}
	return b.retry(n)
}

func (b *treeBuilder) list(parent *v1alpha1.OperatorNode, items []v1alpha1.OperatorNode, key string) []journey.Node {
	out := make([]journey.Node, 0, len(items))
	for i := range items {
		if items[i].Probability != nil && strings.ToLower(parent.Type) != "cond" {
			b.errorf(items[i].Pos, "probability is only allowed on the branches of a cond")
		}
		if c := b.build(&items[i]); c != nil {
			out = append(out, c)
		}
	}
	if len(items) == 0 {
		b.errorf(parent.Pos, "%s node needs at least one entry under %s", strings.ToLower(parent.Type), key)
	}
	return out
}

func (b *treeBuilder) cond(n *v1alpha1.OperatorNode) journey.Node {
	c := &journey.Cond{At: journey.At{Pos: n.Pos}}
	missing := 0
	for i := range n.Branches {
		br := &n.Branches[i]
		node := b.build(br)
		if node == nil {
			continue
		}
		c.Branches = append(c.Branches, node)
		if br.Probability == nil {
			missing++
			c.Probs = append(c.Probs, journey.Prob{Pos: br.Pos, Implicit: true})
			continue
		}
		p := br.Probability
		c.Probs = append(c.Probs, journey.Prob{Pos: p.Pos, Param: p.Param, Lo: p.Lo, Hi: p.Hi})
	}
	if len(n.Branches) == 0 {
		b.errorf(n.Pos, "cond node needs at least one entry under branches")
	}
	if missing > 1 || (missing == 1 && !c.Probs[len(c.Probs)-1].Implicit) {
		b.errorf(n.Pos, "cond branches need a probability each (only the last may be left out, meaning the rest)")
	}
	return c
}

func (b *treeBuilder) timeout(n *v1alpha1.OperatorNode) journey.Node {
	t := &journey.Timeout{At: journey.At{Pos: n.Pos}, TimeoutProbability: n.TimeoutProbability}
	if n.Timeout == nil {
		b.errorf(n.Pos, "timeout node needs timeout (a duration such as 200ms)")
	} else {
		t.Timeout = n.Timeout.Seconds
	}
	if n.Primary == nil {
		b.errorf(n.Pos, "timeout node needs primary")
		return nil
	}
	t.Primary = b.build(n.Primary)
	if n.Fallback != nil {
		t.Fallback = b.build(n.Fallback)
	}
	if t.Primary == nil || (n.Fallback != nil && t.Fallback == nil) {
		return nil
	}
	return t
}

func (b *treeBuilder) retry(n *v1alpha1.OperatorNode) journey.Node {
	r := &journey.Retry{At: journey.At{Pos: n.Pos}, TimeoutProbability: n.TimeoutProbability,
		PerTryTimeout: seconds(n.PerTryTimeout), Backoff: seconds(n.Backoff)}
	if n.Attempts == nil {
		b.errorf(n.Pos, "retry node needs attempts (the total number of tries)")
	} else {
		r.Attempts = *n.Attempts
	}
	if n.PerTryTimeout == nil {
		b.errorf(n.Pos, "retry node needs perTryTimeout")
	}
	if n.Target == nil {
		b.errorf(n.Pos, "retry node needs target")
		return nil
	}
	if r.Target = b.build(n.Target); r.Target == nil {
		return nil
	}
	return r
}

func seconds(d *v1alpha1.Duration) float64 {
	if d == nil {
		return 0
	}
	return d.Seconds
}

// parseExpr parses the expression string of e and maps every position
// (of nodes and of diagnostics) back to the YAML file: after the opening
// quote for quoted scalars, and line by line for block scalars.
func parseExpr(e *v1alpha1.Expr, src []byte, diags *diag.List) journey.Node {
	p := e.Pos
	switch e.Style {
	case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
		p = p.Offset(1)
	case yaml.LiteralStyle, yaml.FoldedStyle:
		root, d := journey.Parse(e.Value, diag.Pos{File: p.File, Line: p.Line, Col: 1})
		m := blockMapper(src, p.Line+1)
		mapPos := func(q diag.Pos) diag.Pos {
			if q.File != p.File || q.Line != p.Line {
				return q
			}
			return m(p.File, q.Col-1)
		}
		diags.Append(d.Map(mapPos))
		remapTree(root, mapPos)
		return root
	}
	root, d := journey.Parse(e.Value, p)
	diags.Append(d)
	return root
}

// blockMapper maps a byte offset in a block scalar's value to its file
// position. Content starts on line first; each source line contributes its
// text after the block's indentation plus one separator (a newline, or the
// space it folds into).
func blockMapper(src []byte, first int) func(file string, off int) diag.Pos {
	lines := strings.Split(string(src), "\n")
	indent := -1
	return func(file string, off int) diag.Pos {
		for l := first; l-1 < len(lines); l++ {
			text := strings.TrimRight(lines[l-1], "\r")
			if indent < 0 {
				indent = len(text) - len(strings.TrimLeft(text, " "))
			}
			n := max(0, len(text)-indent)
			if off <= n {
				return diag.Pos{File: file, Line: l, Col: indent + off + 1}
			}
			off -= n + 1
		}
		return diag.Pos{File: file, Line: first, Col: 1}
	}
}

// remapTree rewrites the position of every node and probability of root.
func remapTree(root journey.Node, f func(diag.Pos) diag.Pos) {
	journey.Walk(root, func(n journey.Node) bool {
		n.(interface{ SetPosition(diag.Pos) }).SetPosition(f(n.Position()))
		if c, ok := n.(*journey.Cond); ok {
			for i := range c.Probs {
				c.Probs[i].Pos = f(c.Probs[i].Pos)
			}
		}
		return true
	})
}
