package journey

import (
	"strconv"
	"strings"

	"github.com/emac-dev/emac/internal/diag"
)

// maxDepth bounds operator nesting so that hostile input cannot exhaust the
// stack of the parser or of later recursive stages.
const maxDepth = 500

// Parse parses a journey expression such as
//
//	Series(frontend, Cond(0.8; cache, catalog), Timeout(200ms; Race(paya, payb), queue))
//
// at is the position of the expression's first character in its file; every
// node and diagnostic is placed at at.Offset(byte offset), so the expression
// is assumed to sit on one line. Parse reports syntax and arity errors (all
// it can find, at most one per position); semantic checks such as ranges of
// probabilities and durations and unknown components are left to Validate.
// When k−1 probabilities are given for k Cond branches, the last one is added
// as the implicit complement (see Bind). The returned list is never nil; the
// tree is nil whenever the list has errors.
func Parse(src string, at diag.Pos) (Node, *diag.List) {
	p := &parser{toks: lex(src), at: at, errs: &diag.List{}, lastErr: -1}
	p.tok = p.toks[0]
	n := p.parseExpr()
	if p.tok.kind != tokEOF {
		p.errorf(p.tok.off, "expected end of expression but found %s", p.tok.describe())
	}
	if p.errs.HasErrors() {
		return nil, p.errs
	}
	return n, p.errs
}

// parser is a recursive-descent parser over the token slice.
type parser struct {
	toks    []token
	i       int
	tok     token
	at      diag.Pos
	errs    *diag.List
	lastErr int // offset of the last error, to report one error per place
	depth   int
}

func (p *parser) next() {
	if p.i < len(p.toks)-1 {
		p.i++
	}
	p.tok = p.toks[p.i]
}

func (p *parser) pos(off int) diag.Pos { return p.at.Offset(off) }

// errorf records an error at byte offset off unless one is already recorded
// there.
func (p *parser) errorf(off int, format string, args ...any) {
	if off == p.lastErr {
		return
	}
	p.lastErr = off
	p.errs.Errorf(p.pos(off), format, args...)
}

// itemKind classifies one comma-separated argument of a call before the
// parser knows whether it is a parameter or a child.
type itemKind int

const (
	itemNumber   itemKind = iota // 0.8, 200ms
	itemIdent                    // a component, "skip" or a parameter name
	itemInterval                 // [0.7, 0.9]
	itemNamed                    // hedge=50ms
	itemNode                     // an operator call
	itemBad                      // an argument with a syntax error (reported)
)

// item is one argument; tok is its first token (the name for itemNamed).
type item struct {
	kind   itemKind
	tok    token
	lo, hi token // interval bounds
	val    token // value of a named parameter
	node   Node  // operator call (nil after an error inside it)
}

// describe renders the item for "but found …" messages.
func (it item) describe() string {
	switch it.kind {
	case itemInterval:
		return "interval " + strconv.Quote("["+it.lo.text+", "+it.hi.text+"]")
	case itemNamed:
		return "parameter " + strconv.Quote(it.tok.text+"="+it.val.text)
	case itemNode:
		return "operator " + strconv.Quote(it.tok.text)
	}
	return it.tok.describe()
}

// parseExpr parses a whole child expression: a leaf or an operator call.
func (p *parser) parseExpr() Node {
	it, ok := p.parseItem("a component or operator")
	if !ok {
		return nil
	}
	return p.child(it, false)
}

// child converts an item in child position to a node. hint tells whether to
// remind that parameters go before ";".
func (p *parser) child(it item, hint bool) Node {
	switch it.kind {
	case itemNode:
		return it.node
	case itemBad:
		return nil
	case itemIdent:
		if it.tok.text == "skip" {
			return &Skip{At{p.pos(it.tok.off)}}
		}
		return &Leaf{At{p.pos(it.tok.off)}, it.tok.text}
	}
	msg := ""
	if hint {
		msg = ` (parameters go before ";")`
	}
	p.errorf(it.tok.off, "expected a component or operator but found %s%s", it.describe(), msg)
	return nil
}

// parseItem parses one argument; want names what was expected, for errors.
func (p *parser) parseItem(want string) (item, bool) {
	t := p.tok
	switch t.kind {
	case tokNumber:
		p.next()
		return item{kind: itemNumber, tok: t}, true
	case tokLBrack:
		return p.parseInterval()
	case tokIdent:
		p.next()
		switch p.tok.kind {
		case tokLParen:
			return item{kind: itemNode, tok: t, node: p.parseCall(t)}, true
		case tokEq:
			return p.parseNamed(t)
		}
		return item{kind: itemIdent, tok: t}, true
	}
	p.errorf(t.off, "expected %s but found %s", want, t.describe())
	return item{}, false
}

// parseNamed parses the value of name=value; the current token is "=".
func (p *parser) parseNamed(name token) (item, bool) {
	p.next()
	v := p.tok
	if v.kind != tokNumber && v.kind != tokIdent {
		p.errorf(v.off, "expected a value after %q but found %s", name.text+"=", v.describe())
		return item{}, false
	}
	p.next()
	return item{kind: itemNamed, tok: name, val: v}, true
}

// parseInterval parses "[lo, hi]"; the current token is "[".
func (p *parser) parseInterval() (item, bool) {
	it := item{kind: itemInterval, tok: p.tok}
	p.next()
	ok := p.expectNumber(&it.lo) && p.expect(tokComma, `","`) &&
		p.expectNumber(&it.hi) && p.expect(tokRBrack, `"]"`)
	if !ok { // skip the rest of the interval
		for k := p.tok.kind; k != tokRParen && k != tokSemi && k != tokEOF; k = p.tok.kind {
			p.next()
			if k == tokRBrack {
				break
			}
		}
	}
	return it, ok
}

func (p *parser) expectNumber(dst *token) bool {
	if p.tok.kind != tokNumber {
		p.errorf(p.tok.off, "expected a number but found %s", p.tok.describe())
		return false
	}
	*dst = p.tok
	p.next()
	return true
}

func (p *parser) expect(k tokKind, what string) bool {
	if p.tok.kind != k {
		p.errorf(p.tok.off, "expected %s but found %s", what, p.tok.describe())
		return false
	}
	p.next()
	return true
}

// callSite is a parsed operator application before it is built into a node.
type callSite struct {
	name     token
	argsOff  int // offset of the first token after "("
	hasSemi  bool
	semiOff  int
	params   []item
	children []item
}

// parseCall parses "(params; children)" after the operator name; the current
// token is "(".
func (p *parser) parseCall(name token) Node {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		p.errorf(name.off, "expression nested too deeply (more than %d operators)", maxDepth)
		p.i, p.tok = len(p.toks)-1, p.toks[len(p.toks)-1]
		p.lastErr = p.tok.off // the missing ")"s are the same mistake
		return nil
	}
	p.next()
	c := &callSite{name: name, argsOff: p.tok.off}
	first, end := p.parseList(false)
	if end == tokSemi {
		c.hasSemi, c.semiOff, c.params = true, p.toks[p.i-1].off, first
		c.children, _ = p.parseList(true)
	} else {
		c.children = first
		p.splitParams(c, p.toks[p.i-1].off)
	}
	return p.build(c)
}

// splitParams handles a call without ";" that starts with items that can
// only be parameters (numbers, intervals, name=value): it reports the missing
// ";" and moves them to the parameters. end is the offset of the ")".
func (p *parser) splitParams(c *callSite, end int) {
	n := 0
	for n < len(c.children) && paramOnly(c.children[n].kind) {
		n++
	}
	if n == 0 {
		return
	}
	if n < len(c.children) {
		end = c.children[n].tok.off
	}
	if takesParams(c.name.text) { // otherwise the builder reports them
		p.errorf(end, `expected ";" after the parameters of %s`, c.name.text)
	}
	c.params, c.children = c.children[:n], c.children[n:]
	c.hasSemi, c.semiOff = true, end
}

// takesParams reports whether op is a known operator with parameters.
func takesParams(op string) bool {
	switch strings.ToLower(op) {
	case "cond", "race", "kofn", "timeout", "retry":
		return true
	}
	return false
}

func paramOnly(k itemKind) bool {
	return k == itemNumber || k == itemInterval || k == itemNamed
}

// parseList parses comma-separated items up to ")" (consumed) or, in the
// first section, ";" (consumed). It recovers from a bad item by skipping to
// the next separator.
func (p *parser) parseList(second bool) ([]item, tokKind) {
	want, seps := "a component, operator or parameter", `",", ";" or ")"`
	if second {
		want, seps = "a component or operator", `"," or ")"`
	}
	var items []item
	if p.tok.kind == tokRParen || p.tok.kind == tokSemi && !second {
		end := p.tok.kind
		p.next()
		return nil, end
	}
	for {
		start := p.tok
		it, ok := p.parseItem(want)
		if !ok {
			it = item{kind: itemBad, tok: start}
			p.sync()
		}
		items = append(items, it)
		if end, done := p.separator(second, seps); done {
			return items, end
		}
	}
}

// separator consumes the token after an item. It reports done with the
// closing token when the list ends, and otherwise leaves the parser at the
// next item.
func (p *parser) separator(second bool, seps string) (tokKind, bool) {
	for {
		switch k := p.tok.kind; {
		case k == tokComma:
			p.next()
			return 0, false
		case k == tokSemi && !second, k == tokRParen:
			p.next()
			return k, true
		case k == tokEOF:
			p.errorf(p.tok.off, `expected ")" but found end of expression`)
			return k, true
		case k == tokSemi:
			p.errorf(p.tok.off, `expected "," or ")" but found ";" (only one ";" separates parameters from children)`)
			p.next()
			return 0, false
		}
		p.errorf(p.tok.off, "expected %s but found %s", seps, p.tok.describe())
		p.sync()
	}
}

// sync skips tokens up to the next ",", ";" or ")" outside brackets (or the
// end), so that parsing can resume after an error.
func (p *parser) sync() {
	depth := 0
	for {
		switch p.tok.kind {
		case tokEOF:
			return
		case tokComma, tokSemi:
			if depth == 0 {
				return
			}
		case tokRParen:
			if depth == 0 {
				return
			}
			depth--
		case tokLParen, tokLBrack:
			depth++
		case tokRBrack:
			depth = max(depth-1, 0)
		}
		p.next()
	}
}
