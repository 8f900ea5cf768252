// Package promql holds the small PromQL AST builders the generators share:
// expressions are built as Prometheus parser nodes and every emitted
// expression is printed and parsed again, so only what Prometheus accepts
// leaves emac.
package promql

import (
	"fmt"

	"github.com/prometheus/prometheus/promql/parser"
)

// Parser returns a Prometheus PromQL parser with default options.
func Parser() parser.Parser { return parser.NewParser(parser.Options{}) }

// Reparse prints e and parses the text again, so that only what the
// Prometheus parser accepts is emitted; it returns the canonical print.
func Reparse(e parser.Expr) (string, error) {
	s := e.String()
	back, err := Parser().ParseExpr(s)
	if err != nil {
		return "", fmt.Errorf("generated PromQL does not parse: %w\n%s", err, s)
	}
	return back.String(), nil
}

// Num is a number literal.
func Num(c float64) parser.Expr { return &parser.NumberLiteral{Val: c} }

// Str is a string literal.
func Str(s string) parser.Expr { return &parser.StringLiteral{Val: s} }

// Call builds a call of the PromQL function name.
func Call(name string, args ...parser.Expr) *parser.Call {
	return &parser.Call{Func: parser.Functions[name], Args: args}
}

// Paren wraps binary expressions so that printing never depends on
// operator precedence.
func Paren(e parser.Expr) parser.Expr {
	if _, ok := e.(*parser.BinaryExpr); ok {
		return &parser.ParenExpr{Expr: e}
	}
	return e
}

// Binary builds l op r with parenthesised binary operands; two vector
// operands match one-to-one on all labels, set operators many-to-many.
func Binary(op parser.ItemType, l, r parser.Expr) *parser.BinaryExpr {
	b := &parser.BinaryExpr{Op: op, LHS: Paren(l), RHS: Paren(r)}
	if l.Type() == parser.ValueTypeVector && r.Type() == parser.ValueTypeVector {
		card := parser.CardOneToOne
		if op.IsSetOperator() {
			card = parser.CardManyToMany
		}
		b.VectorMatching = &parser.VectorMatching{Card: card}
	}
	return b
}
