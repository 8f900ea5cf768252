package journey

import (
	"math"
	"strconv"
	"strings"
)

// String returns the component name.
func (n *Leaf) String() string { return n.Name }

// String returns "skip".
func (*Skip) String() string { return "skip" }

// String returns the canonical expression.
func (n *Series) String() string { return call("Series", nil, n.Steps) }

// String returns the canonical expression.
func (n *Parallel) String() string { return call("Parallel", nil, n.Branches) }

// String returns the canonical expression; an implicit last probability is
// omitted.
func (n *Cond) String() string {
	var params []string
	for _, p := range n.Probs {
		if !p.Implicit {
			params = append(params, p.String())
		}
	}
	return call("Cond", params, n.Branches)
}

// String returns the canonical expression.
func (n *Race) String() string {
	var params []string
	if n.HedgeAfter != 0 {
		params = append(params, "hedge="+FormatDuration(n.HedgeAfter))
	}
	return call("Race", params, n.Branches)
}

// String returns the canonical expression.
func (n *KofN) String() string {
	return call("KofN", []string{strconv.Itoa(n.K)}, n.Branches)
}

// String returns the canonical expression.
func (n *Timeout) String() string {
	params := []string{FormatDuration(n.Timeout)}
	if n.TimeoutProbability != nil {
		params = append(params, "timeoutProbability="+FormatFloat(*n.TimeoutProbability))
	}
	return call("Timeout", params, n.Children())
}

// String returns the canonical expression.
func (n *Retry) String() string {
	params := []string{strconv.Itoa(n.Attempts), FormatDuration(n.PerTryTimeout)}
	if n.Backoff != 0 {
		params = append(params, FormatDuration(n.Backoff))
	}
	if n.TimeoutProbability != nil {
		params = append(params, "timeoutProbability="+FormatFloat(*n.TimeoutProbability))
	}
	return call("Retry", params, []Node{n.Target})
}

// String renders the probability as a number, an interval "[lo, hi]" or the
// parameter name.
func (p Prob) String() string {
	switch {
	case p.Param != "":
		return p.Param
	case p.Lo < p.Hi || p.Lo > p.Hi: // also a reversed interval, for Validate to report
		return "[" + FormatFloat(p.Lo) + ", " + FormatFloat(p.Hi) + "]"
	}
	return FormatFloat(p.Lo)
}

func call(op string, params []string, children []Node) string {
	var b strings.Builder
	b.WriteString(op)
	b.WriteByte('(')
	if len(params) > 0 {
		b.WriteString(strings.Join(params, ", "))
		b.WriteString("; ")
	}
	for i, c := range children {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	b.WriteByte(')')
	return b.String()
}

// FormatFloat renders a number in the shortest form that parses back to the
// same float64.
func FormatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// RoundSig rounds x to digits significant digits (for messages and for
// round grid values).
func RoundSig(x float64, digits int) float64 {
	if x == 0 {
		return 0
	}
	e := math.Floor(math.Log10(math.Abs(x)))
	s := math.Pow(10, float64(digits)-1-e)
	return math.Round(x*s) / s
}

// FormatDuration renders seconds as a Go/Prometheus duration string: whole
// milliseconds under a second as "200ms", otherwise seconds as "1.5s". The
// result parses back (ParseDuration) to exactly sec.
func FormatDuration(sec float64) string {
	ms := sec * 1000
	if ms == math.Trunc(ms) && math.Abs(ms) < 1000 && ms/1000 == sec {
		return strconv.FormatInt(int64(ms), 10) + "ms"
	}
	return FormatFloat(sec) + "s"
}
