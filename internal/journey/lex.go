package journey

import (
	"strconv"
	"unicode/utf8"
)

// tokKind classifies a lexical token of the expression language.
type tokKind int

const (
	tokEOF     tokKind = iota
	tokIdent           // frontend, slo.front, k8s-app, Series, p_hit
	tokNumber          // 0.8, -1e-05, 200ms, 2h30m (decoded by the parser)
	tokLParen          // (
	tokRParen          // )
	tokLBrack          // [
	tokRBrack          // ]
	tokComma           // ,
	tokSemi            // ;
	tokEq              // =
	tokIllegal         // any other character
)

// token is one lexeme with its byte offset in the source.
type token struct {
	kind tokKind
	text string
	off  int
}

// describe renders the token for "but found …" messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokNumber:
		return "number " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

var punct = map[byte]tokKind{
	'(': tokLParen, ')': tokRParen, '[': tokLBrack, ']': tokRBrack,
	',': tokComma, ';': tokSemi, '=': tokEq,
}

// lex splits src into tokens; the last token is always tokEOF.
func lex(src string) []token {
	var toks []token
	for i := 0; ; {
		i = skipSpace(src, i)
		if i >= len(src) {
			return append(toks, token{kind: tokEOF, off: len(src)})
		}
		t := scan(src, i)
		toks = append(toks, t)
		i += len(t.text)
	}
}

func skipSpace(src string, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
		i++
	}
	return i
}

// scan reads the token starting at src[i].
func scan(src string, i int) token {
	c := src[i]
	if k, ok := punct[c]; ok {
		return token{kind: k, text: src[i : i+1], off: i}
	}
	switch {
	case isIdentStart(c):
		return token{kind: tokIdent, text: src[i:scanIdent(src, i)], off: i}
	case startsNumber(src, i):
		return token{kind: tokNumber, text: src[i:scanNumber(src, i)], off: i}
	}
	_, size := utf8.DecodeRuneInString(src[i:])
	return token{kind: tokIllegal, text: src[i : i+size], off: i}
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '.' || c == '-'
}

func scanIdent(src string, i int) int {
	for i < len(src) && isIdentChar(src[i]) {
		i++
	}
	return i
}

// startsNumber reports whether a number begins at src[i]: a digit, a dot
// followed by a digit, or a minus sign followed by either.
func startsNumber(src string, i int) bool {
	if src[i] == '-' {
		i++
	}
	if i < len(src) && src[i] == '.' {
		i++
	}
	return i < len(src) && isDigit(src[i])
}

// scanNumber reads a number or duration: a leading sign, then letters, digits,
// dots, micro signs, and a sign directly after an exponent marker.
func scanNumber(src string, i int) int {
	start := i
	if src[i] == '-' {
		i++
	}
	for i < len(src) {
		c := src[i]
		switch {
		case isDigit(c) || isIdentStart(c) || c == '.':
			i++
		case (c == '+' || c == '-') && i > start && (src[i-1] == 'e' || src[i-1] == 'E'):
			i++
		case hasMicro(src[i:]):
			_, size := utf8.DecodeRuneInString(src[i:])
			i += size
		default:
			return i
		}
	}
	return i
}

// hasMicro reports whether s starts with a micro sign (U+00B5 or U+03BC).
func hasMicro(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return r == 'µ' || r == 'μ'
}
