package diag

import (
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	var l List
	src := map[string][]byte{"a.yaml": []byte("kind: X\n\tspec: {}\nlast")}
	l.Warnf(Pos{"a.yaml", 1, 7}, "odd kind")
	l.Errorf(Pos{"a.yaml", 2, 2}, "bad key")
	l.Errorf(Pos{"a.yaml", 3, 9}, "past the end")
	l.Errorf(Pos{"b.yaml", 0, 0}, "cannot read")
	got := l.Format(src)
	want := "a.yaml:1:7: warning: odd kind\n    kind: X\n          ^\n" +
		"a.yaml:2:2: bad key\n     spec: {}\n     ^\n" +
		"a.yaml:3:9: past the end\n    last\n        ^\n" +
		"b.yaml: cannot read\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if !l.HasErrors() || len(l.Errors()) != 3 || l.Len() != 4 {
		t.Errorf("counts: errors %d, len %d", len(l.Errors()), l.Len())
	}
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), "a.yaml:2:2: bad key") {
		t.Errorf("Err() = %v", err)
	}
}

func TestCapAndMap(t *testing.T) {
	var l List
	for i := range MaxErrors + 5 {
		l.Errorf(Pos{"f", i + 1, 1}, "e")
	}
	if l.Len() != MaxErrors || !strings.Contains(l.Format(nil), "5 more not shown") {
		t.Errorf("cap: len %d", l.Len())
	}
	m := l.Map(func(p Pos) Pos { return p.Offset(2) })
	if m.Items()[0].Pos.Col != 3 {
		t.Errorf("Map did not move the column: %v", m.Items()[0].Pos)
	}
	var empty List
	if empty.Err() != nil || empty.HasErrors() {
		t.Error("empty list reports errors")
	}
}

// TestFormatLongLine checks that a long source line is cut around the
// column with the caret still under it.
func TestFormatLongLine(t *testing.T) {
	line := strings.Repeat("a", 1000) + "X" + strings.Repeat("b", 1000)
	var l List
	l.Errorf(Pos{"a.yaml", 1, 1001}, "here")
	got := l.Format(map[string][]byte{"a.yaml": []byte(line)})
	lines := strings.Split(got, "\n")
	if len(lines) < 3 || len([]rune(lines[1])) > 2*excerptWidth+8 {
		t.Fatalf("excerpt not cut:\n%.300s", got)
	}
	caret := strings.Index(lines[2], "^")
	if r := []rune(lines[1]); caret < 0 || caret >= len(r) || r[caret] != 'X' {
		t.Errorf("caret at %d is not under the column:\n%s", caret, got)
	}
}
