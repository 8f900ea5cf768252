// Package diag collects positioned diagnostics (errors and warnings) and
// renders them as `file:line:col: message` with the offending source line and
// a caret, in the manner of compilers.
//
// Stages never stop at the first problem: they add every diagnostic they find
// to a List, and the caller decides whether to run later stages.
package diag

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; a zero Line
// means the position is unknown (only the file is).
type Pos struct {
	File string
	Line int
	Col  int
}

// String renders the position as file:line:col (or a shorter form when parts
// are unknown).
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "<input>"
	case p.Line == 0:
		return p.File
	case p.File == "":
		return fmt.Sprintf("<input>:%d:%d", p.Line, p.Col)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether the position names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Offset returns the position moved right by n columns on the same line. It
// maps an offset inside a single-line embedded string (an expression) back to
// the file.
func (p Pos) Offset(n int) Pos {
	if !p.IsValid() {
		return p
	}
	p.Col += n
	return p
}

// Severity says whether a diagnostic stops the run.
type Severity int

// Severities, most severe first.
const (
	Error Severity = iota
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one message about one position.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Message  string
}

// String renders the diagnostic without source context.
func (d Diagnostic) String() string {
	if d.Severity == Warning {
		return fmt.Sprintf("%s: warning: %s", d.Pos, d.Message)
	}
	return fmt.Sprintf("%s: %s", d.Pos, d.Message)
}

// MaxErrors caps how many errors a List keeps; further errors are counted but
// dropped, so a pathological input cannot flood the terminal.
const MaxErrors = 100

// List accumulates diagnostics. The zero value is ready to use.
type List struct {
	items   []Diagnostic
	errors  int
	dropped int
}

// Errorf records an error at pos.
func (l *List) Errorf(pos Pos, format string, args ...any) {
	l.errors++
	if l.errors > MaxErrors {
		l.dropped++
		return
	}
	l.items = append(l.items, Diagnostic{Pos: pos, Severity: Error, Message: fmt.Sprintf(format, args...)})
}

// Warnf records a warning at pos.
func (l *List) Warnf(pos Pos, format string, args ...any) {
	l.items = append(l.items, Diagnostic{Pos: pos, Severity: Warning, Message: fmt.Sprintf(format, args...)})
}

// Append adds every diagnostic of other to l.
func (l *List) Append(other *List) {
	if other == nil {
		return
	}
	for _, d := range other.items {
		if d.Severity == Error {
			l.Errorf(d.Pos, "%s", d.Message)
		} else {
			l.items = append(l.items, d)
		}
	}
	l.errors += other.dropped
	l.dropped += other.dropped
}

// Map returns a copy of l with every position passed through f.
func (l *List) Map(f func(Pos) Pos) *List {
	out := &List{errors: l.errors, dropped: l.dropped}
	for _, d := range l.items {
		d.Pos = f(d.Pos)
		out.items = append(out.items, d)
	}
	return out
}

// HasErrors reports whether any error was recorded.
func (l *List) HasErrors() bool { return l.errors > 0 }

// Len returns the number of kept diagnostics.
func (l *List) Len() int { return len(l.items) }

// Items returns the diagnostics sorted by file, line, column and message.
func (l *List) Items() []Diagnostic {
	out := slices.Clone(l.items)
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Severity, b.Severity),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(out, func(a, b Diagnostic) bool { return a == b })
}

// Errors returns only the error diagnostics, sorted.
func (l *List) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range l.Items() {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Err returns nil when there are no errors, and otherwise an error whose
// message lists them one per line.
func (l *List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	var b strings.Builder
	for i, d := range l.Errors() {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return fmt.Errorf("%s", b.String())
}

// Format renders every diagnostic with its source line and a caret under the
// column. sources maps a file name to its contents; files not in the map are
// rendered without context. A trailing line counts dropped errors.
func (l *List) Format(sources map[string][]byte) string {
	var b strings.Builder
	for _, d := range l.Items() {
		b.WriteString(d.String())
		b.WriteByte('\n')
		if line, ok := sourceLine(sources[d.Pos.File], d.Pos.Line); ok && d.Pos.Col > 0 {
			line, caret := excerpt(strings.ReplaceAll(line, "\t", " "), d.Pos.Col-1)
			fmt.Fprintf(&b, "    %s\n    %s^\n", line, strings.Repeat(" ", caret))
		}
	}
	if l.dropped > 0 {
		fmt.Fprintf(&b, "too many errors: %d more not shown\n", l.dropped)
	}
	return b.String()
}

// excerptWidth is how many characters of a source line are shown on
// either side of the column; longer lines (a generated expression can be
// hundreds of kilobytes on one line) are cut with an ellipsis.
const excerptWidth = 60

// excerpt returns the part of line shown under a diagnostic and the
// caret's offset in it for the 0-based character column col.
func excerpt(line string, col int) (string, int) {
	r := []rune(line)
	col = max(0, min(col, len(r)))
	lo, hi := max(0, col-excerptWidth), min(len(r), col+excerptWidth)
	out, caret := string(r[lo:hi]), col-lo
	if lo > 0 {
		out, caret = "…"+out, caret+1
	}
	if hi < len(r) {
		out += "…"
	}
	return out, caret
}

func sourceLine(src []byte, line int) (string, bool) {
	if src == nil || line <= 0 {
		return "", false
	}
	for i := 1; ; i++ {
		nl := bytes.IndexByte(src, '\n')
		if i == line {
			if nl < 0 {
				return strings.TrimRight(string(src), "\r"), true
			}
			return strings.TrimRight(string(src[:nl]), "\r"), true
		}
		if nl < 0 {
			return "", false
		}
		src = src[nl+1:]
	}
}
