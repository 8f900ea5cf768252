package journey

import (
	"errors"
	"fmt"
	"strings"
)

// valueKind is the type of an operator parameter.
type valueKind int

const (
	valInt      valueKind = iota // attempts, k
	valDuration                  // timeout, perTryTimeout, backoff, hedge
	valNumber                    // timeoutProbability
)

// paramDef declares one parameter of an operator. Positional parameters come
// first, in order; named-only ones can only be given as name=value. Any
// parameter may be given by name (matched case-insensitively).
type paramDef struct {
	name      string
	kind      valueKind
	required  bool
	namedOnly bool
}

// paramAliases maps other accepted spellings (lower case) to a parameter name.
var paramAliases = map[string]string{"hedgeafter": "hedge"}

// value is a decoded parameter; set is false when it was not given.
type value struct {
	set   bool
	whole int
	num   float64
}

// ptr returns the number's address, or nil when the value was not given.
func (v value) ptr() *float64 {
	if !v.set {
		return nil
	}
	return &v.num
}

// bindParams matches the call's parameters to defs and decodes them. It
// reports unknown, duplicate, surplus, missing and malformed parameters.
func (p *parser) bindParams(c *callSite, op string, defs []paramDef) ([]value, bool) {
	toks, ok := p.matchParams(c, op, defs)
	if ok { // after a bad parameter, "missing" ones are noise
		ok = p.checkRequired(c, op, defs, toks)
	}
	vals := make([]value, len(defs))
	for i, t := range toks {
		if t != nil {
			var good bool
			vals[i], good = p.decode(*t, op, defs[i])
			ok = ok && good
		}
	}
	return vals, ok
}

// matchParams assigns each parameter item to a definition and returns the
// value token given for each definition (nil when absent).
func (p *parser) matchParams(c *callSite, op string, defs []paramDef) ([]*token, bool) {
	toks := make([]*token, len(defs))
	ok, next := true, 0
	for _, it := range c.params {
		i := -1
		switch it.kind {
		case itemNamed:
			i = p.namedParam(it, op, defs)
		case itemNumber, itemIdent:
			i = p.positionalParam(it, op, defs, next)
			next = max(next, i+1)
		case itemBad:
			next++ // keep the following parameters in their places
		default:
			p.errorf(it.tok.off, "expected a parameter of %s but found %s", op, it.describe())
		}
		if i >= 0 && toks[i] != nil {
			p.errorf(it.tok.off, "%s parameter %s given twice", op, defs[i].name)
			i = -1
		}
		if i < 0 {
			ok = false
			continue
		}
		t := it.tok
		if it.kind == itemNamed {
			t = it.val
		}
		toks[i] = &t
	}
	return toks, ok
}

// namedParam returns the index of the definition a name=value item names,
// or -1 after reporting an unknown name.
func (p *parser) namedParam(it item, op string, defs []paramDef) int {
	name := strings.ToLower(it.tok.text)
	if alias, ok := paramAliases[name]; ok {
		name = strings.ToLower(alias)
	}
	var names []string
	for i, d := range defs {
		if strings.ToLower(d.name) == name {
			return i
		}
		names = append(names, d.name)
	}
	p.errorf(it.tok.off, "unknown parameter %q for %s (want %s)", it.tok.text, op, strings.Join(names, ", "))
	return -1
}

// positionalParam returns the index of the definition for the positional
// parameter at position next, or -1 after reporting a surplus parameter.
func (p *parser) positionalParam(it item, op string, defs []paramDef, next int) int {
	if next < len(defs) && !defs[next].namedOnly {
		return next
	}
	var names []string
	for _, d := range defs {
		if !d.namedOnly {
			names = append(names, d.name)
		}
	}
	if len(names) == 0 {
		p.errorf(it.tok.off, "%s takes no positional parameters, got %s", op, it.describe())
	} else {
		p.errorf(it.tok.off, "too many parameters for %s (want %s), got %s", op, strings.Join(names, ", "), it.describe())
	}
	return -1
}

// checkRequired reports the required parameters that are missing.
func (p *parser) checkRequired(c *callSite, op string, defs []paramDef, toks []*token) bool {
	var missing []string
	for i, d := range defs {
		if d.required && toks[i] == nil {
			missing = append(missing, d.name)
		}
	}
	if len(missing) == 0 {
		return true
	}
	off := c.argsOff
	if c.hasSemi {
		off = c.semiOff
	}
	p.errorf(off, `%s needs %s before ";"`, op, strings.Join(missing, " and "))
	return false
}

// decode converts a parameter's token to a value of its definition's kind.
func (p *parser) decode(t token, op string, d paramDef) (value, bool) {
	if t.kind != tokNumber {
		p.errorf(t.off, "%s of %s must be %s, got %s", d.name, op, kindName(d.kind), t.describe())
		return value{}, false
	}
	var v value
	var err error
	switch d.kind {
	case valInt:
		v.whole, err = parseInt(t.text)
	case valDuration:
		v.num, err = ParseDuration(t.text)
	default:
		v.num, err = parsePlain(t.text)
	}
	if err != nil {
		p.errorf(t.off, "%s", decodeError(t.text, d, err))
		return value{}, false
	}
	v.set = true
	return v, true
}

func kindName(k valueKind) string {
	switch k {
	case valInt:
		return "an integer"
	case valDuration:
		return "a duration"
	}
	return "a number"
}

// decodeError describes why text is not a valid value for d.
func decodeError(text string, d paramDef, err error) string {
	if errors.Is(err, errRange) {
		return fmt.Sprintf("%s %s is out of range", d.name, text)
	}
	if d.kind == valDuration {
		return fmt.Sprintf("invalid duration %q for %s (want e.g. 200ms, 1.5s, 2h30m or a number of seconds)", text, d.name)
	}
	return fmt.Sprintf("%s must be %s, got %q", d.name, kindName(d.kind), text)
}
