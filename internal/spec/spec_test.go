package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/model"
)

// load parses and resolves files the way the CLI does.
func load(files ...File) ([]*model.Journey, *diag.List) {
	diags := &diag.List{}
	b := &Bundle{}
	b.Parse(files, diags)
	sources := map[string][]byte{}
	for _, f := range files {
		sources[f.Name] = f.Data
	}
	return b.Resolve(sources, Options{}, diags), diags
}

var wantRE = regexp.MustCompile(`(?m)^# want (\d+):(\d+) (.+)$`)

type want struct {
	line, col int
	msg       string
}

// wants reads the "# want LINE:COL MESSAGE" lines of a fixture.
func wants(data []byte) []want {
	var out []want
	for _, m := range wantRE.FindAllSubmatch(data, -1) {
		line, _ := strconv.Atoi(string(m[1]))
		col, _ := strconv.Atoi(string(m[2]))
		out = append(out, want{line, col, string(m[3])})
	}
	return out
}

// TestBadFixtures checks that every testdata/*.bad.yaml reports exactly the
// errors written in its "# want" lines, at those positions.
func TestBadFixtures(t *testing.T) {
	paths, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(paths) < 25 {
		t.Fatalf("want at least 25 bad fixtures, found %d", len(paths))
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			ws := wants(data)
			if len(ws) == 0 {
				t.Fatalf("fixture has no '# want LINE:COL MESSAGE' line")
			}
			_, diags := load(File{Name: p, Data: data})
			got := diags.Errors()
			for _, w := range ws {
				if !hasError(got, p, w) {
					t.Errorf("missing error %d:%d %q; got:\n%s", w.line, w.col, w.msg, render(got))
				}
			}
			if len(got) != len(ws) {
				t.Errorf("got %d errors, want %d:\n%s", len(got), len(ws), render(got))
			}
		})
	}
}

func hasError(got []diag.Diagnostic, file string, w want) bool {
	for _, d := range got {
		if d.Pos.File == file && d.Pos.Line == w.line && d.Pos.Col == w.col && strings.Contains(d.Message, w.msg) {
			return true
		}
	}
	return false
}

func render(ds []diag.Diagnostic) string {
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "  %s\n", d)
	}
	return b.String()
}
