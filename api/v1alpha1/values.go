package v1alpha1

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/journey"
)

// Duration is a length of time written as a Go/Prometheus duration string
// ("200ms", "1.5s", "1h30m", "30d") or a plain number of seconds.
type Duration struct {
	Pos     diag.Pos `yaml:"-"`
	Seconds float64
	Raw     string
	// Invalid is set when the value could not be read (the error has been
	// reported), so later checks can stay quiet.
	Invalid bool
}

// UnmarshalYAML reads a duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		d.Invalid = true
		return fmt.Errorf("want a duration such as 200ms or a number of seconds")
	}
	d.Raw = n.Value
	if n.Tag == "!!int" || n.Tag == "!!float" {
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return fmt.Errorf("bad number %q", n.Value)
		}
		d.Seconds = f
		return nil
	}
	s, err := ParseDuration(n.Value)
	if err != nil {
		d.Invalid = true
		return err
	}
	d.Seconds = s
	return nil
}

// ParseDuration parses a Go or Prometheus duration ("1.5s", "250us", "30d",
// "1w") into seconds.
func ParseDuration(s string) (float64, error) {
	v, err := journey.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q (want e.g. 200ms, 1.5s, 5m, 30d)", s)
	}
	return v, nil
}

// Probability is a Cond branch probability: a number, an interval
// [low, high], or the name of a parameter under spec.parameters.
type Probability struct {
	Pos    diag.Pos `yaml:"-"`
	Lo, Hi float64
	Param  string
}

// UnmarshalYAML reads a number, a two-element list or a parameter name.
func (p *Probability) UnmarshalYAML(n *yaml.Node) error {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!str":
		p.Param = n.Value
		return nil
	case n.Kind == yaml.ScalarNode:
		f, err := number(n)
		p.Lo, p.Hi = f, f
		return err
	case n.Kind == yaml.SequenceNode && len(n.Content) == 2:
		lo, err1 := number(n.Content[0])
		hi, err2 := number(n.Content[1])
		if err1 != nil || err2 != nil {
			return fmt.Errorf("interval bounds must be numbers")
		}
		p.Lo, p.Hi = lo, hi
		return nil
	}
	return fmt.Errorf("want a number, an interval [low, high] or a parameter name")
}

// AvailabilityEvidence is a component's inline availability: a number, or
// measured {good, total} counts.
type AvailabilityEvidence struct {
	Pos         diag.Pos `yaml:"-"`
	Value       *float64
	Good, Total *float64
}

// UnmarshalYAML reads a number or a {good, total} mapping.
func (a *AvailabilityEvidence) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		f, err := number(n)
		if err != nil {
			return fmt.Errorf("want a number or {good, total}")
		}
		a.Value = &f
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("want a number or {good, total}")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f, err := number(n.Content[i+1])
		if err != nil {
			return fmt.Errorf("%s must be a number", n.Content[i].Value)
		}
		switch n.Content[i].Value {
		case "good":
			a.Good = &f
		case "total":
			a.Total = &f
		default:
			return fmt.Errorf("unknown field %q (want good and total)", n.Content[i].Value)
		}
	}
	if a.Good == nil || a.Total == nil {
		return fmt.Errorf("both good and total are required")
	}
	return nil
}

func number(n *yaml.Node) (float64, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, fmt.Errorf("want a number, got %q", n.Value)
	}
	return strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
}

// Expr is the journey's operator tree written as one expression string. It
// keeps the scalar's position and style so that parse errors point into the
// string.
type Expr struct {
	Pos   diag.Pos `yaml:"-"`
	Value string
	Style yaml.Style
}

// UnmarshalYAML reads a string scalar.
func (e *Expr) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!str" {
		return fmt.Errorf("want an expression string such as \"Series(a, b)\"")
	}
	e.Value, e.Style = n.Value, n.Style
	return nil
}
