package journey

import "strings"

// opNames lists the operators in the order used by error messages.
const opNames = "Series, Parallel, Cond, Race, KofN, Timeout, Retry"

// builders maps a lower-case operator name to the function that checks a
// parsed call's parameters and children and builds its node.
var builders = map[string]func(*parser, *callSite) Node{
	"series":   (*parser).buildSeries,
	"parallel": (*parser).buildParallel,
	"cond":     (*parser).buildCond,
	"race":     (*parser).buildRace,
	"kofn":     (*parser).buildKofN,
	"timeout":  (*parser).buildTimeout,
	"retry":    (*parser).buildRetry,
}

// build turns a parsed call into a node; it returns nil after an error.
func (p *parser) build(c *callSite) Node {
	b, ok := builders[strings.ToLower(c.name.text)]
	if !ok {
		p.errorf(c.name.off, "unknown operator %q (want one of %s)", c.name.text, opNames)
		return nil
	}
	return b(p, c)
}

func (p *parser) buildSeries(c *callSite) Node {
	ok, steps := p.noParams(c, "Series"), p.nodes(c)
	if !ok || steps == nil {
		return nil
	}
	return &Series{At{p.pos(c.name.off)}, steps}
}

func (p *parser) buildParallel(c *callSite) Node {
	ok, branches := p.noParams(c, "Parallel"), p.nodes(c)
	if !ok || branches == nil {
		return nil
	}
	return &Parallel{At{p.pos(c.name.off)}, branches}
}

// noParams reports an error when an operator without parameters has some.
func (p *parser) noParams(c *callSite, op string) bool {
	if len(c.params) > 0 {
		p.errorf(c.params[0].tok.off, "%s takes no parameters", op)
		return false
	}
	return true
}

// nodes converts the call's children; it returns nil after an error and an
// empty non-nil slice when there are no children.
func (p *parser) nodes(c *callSite) []Node {
	out := make([]Node, 0, len(c.children))
	ok, hint := true, !c.hasSemi && takesParams(c.name.text)
	for _, it := range c.children {
		n := p.child(it, hint)
		ok = ok && n != nil
		out = append(out, n)
	}
	if !ok {
		return nil
	}
	return out
}

var (
	raceParams    = []paramDef{{name: "hedge", kind: valDuration}}
	kofnParams    = []paramDef{{name: "k", kind: valInt, required: true}}
	timeoutParams = []paramDef{
		{name: "timeout", kind: valDuration, required: true},
		{name: "timeoutProbability", kind: valNumber, namedOnly: true},
	}
	retryParams = []paramDef{
		{name: "attempts", kind: valInt, required: true},
		{name: "perTryTimeout", kind: valDuration, required: true},
		{name: "backoff", kind: valDuration},
		{name: "timeoutProbability", kind: valNumber, namedOnly: true},
	}
)

func (p *parser) buildRace(c *callSite) Node {
	v, ok := p.bindParams(c, "Race", raceParams)
	branches := p.nodes(c)
	if !ok || branches == nil {
		return nil
	}
	return &Race{At{p.pos(c.name.off)}, v[0].num, branches}
}

func (p *parser) buildKofN(c *callSite) Node {
	v, ok := p.bindParams(c, "KofN", kofnParams)
	branches := p.nodes(c)
	if !ok || branches == nil {
		return nil
	}
	return &KofN{At{p.pos(c.name.off)}, v[0].whole, branches}
}

func (p *parser) buildTimeout(c *callSite) Node {
	v, ok := p.bindParams(c, "Timeout", timeoutParams)
	children := p.nodes(c)
	if len(c.children) < 1 || len(c.children) > 2 {
		p.errorf(c.name.off, "Timeout takes 1 or 2 children (primary[, fallback]), got %d", len(c.children))
		return nil
	}
	if !ok || children == nil {
		return nil
	}
	n := &Timeout{At: At{p.pos(c.name.off)}, Timeout: v[0].num, Primary: children[0], TimeoutProbability: v[1].ptr()}
	if len(children) == 2 {
		n.Fallback = children[1]
	}
	return n
}

func (p *parser) buildRetry(c *callSite) Node {
	v, ok := p.bindParams(c, "Retry", retryParams)
	children := p.nodes(c)
	if len(c.children) != 1 {
		p.errorf(c.name.off, "Retry takes 1 child, got %d", len(c.children))
		return nil
	}
	if !ok || children == nil {
		return nil
	}
	return &Retry{At: At{p.pos(c.name.off)}, Attempts: v[0].whole, PerTryTimeout: v[1].num,
		Backoff: v[2].num, Target: children[0], TimeoutProbability: v[3].ptr()}
}

func (p *parser) buildCond(c *callSite) Node {
	probs, ok := p.condProbs(c)
	branches := p.nodes(c)
	k, n := len(c.children), len(c.params)
	switch {
	case !c.hasSemi && k >= 2:
		p.errorf(c.argsOff, `Cond needs probabilities before ";"`)
		return nil
	case k >= 1 && n != k && n != k-1:
		p.errorf(c.argsOff, "Cond with %d branches takes %d or %d probabilities, got %d", k, k-1, k, n)
		return nil
	}
	if !ok || branches == nil {
		return nil
	}
	if k >= 1 && n == k-1 {
		probs = append(probs, complementProb(probs, branches[k-1].Position()))
	}
	return &Cond{At{p.pos(c.name.off)}, probs, branches}
}

// condProbs decodes the probabilities of a Cond: numbers, intervals and
// parameter names.
func (p *parser) condProbs(c *callSite) ([]Prob, bool) {
	probs := make([]Prob, 0, len(c.params)+1)
	ok := true
	for _, it := range c.params {
		pr := Prob{Pos: p.pos(it.tok.off)}
		switch it.kind {
		case itemIdent:
			pr.Param = it.tok.text
		case itemNumber:
			pr.Lo, ok = p.probValue(it.tok, ok)
			pr.Hi = pr.Lo
		case itemInterval:
			pr.Lo, ok = p.probValue(it.lo, ok)
			pr.Hi, ok = p.probValue(it.hi, ok)
		case itemNamed:
			p.errorf(it.tok.off, "Cond takes no named parameters, got %q", it.tok.text)
			ok = false
		case itemBad:
			ok = false
		default:
			p.errorf(it.tok.off, "expected a probability but found %s", it.describe())
			ok = false
		}
		probs = append(probs, pr)
	}
	return probs, ok
}

// probValue decodes a probability number; ok is and-ed with its success.
func (p *parser) probValue(t token, ok bool) (float64, bool) {
	v, err := parsePlain(t.text)
	if err != nil {
		p.errorf(t.off, "invalid probability %q (want a number such as 0.8, an interval [lo, hi] or a parameter name)", t.text)
		return 0, false
	}
	return v, ok
}
