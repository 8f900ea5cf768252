package infra

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/emac-dev/emac/internal/diag"
)

// document is one YAML document of a file: its root node and the file line
// its text starts on, so node positions map back to the file.
type document struct {
	file    string
	lineOff int // file line of the document's first line, minus one
	root    *yaml.Node
}

// pos returns the file position of a node of the document.
func (d *document) pos(n *yaml.Node) diag.Pos {
	if n == nil || n.Line == 0 {
		return diag.Pos{File: d.file, Line: d.lineOff + 1, Col: 1}
	}
	return diag.Pos{File: d.file, Line: n.Line + d.lineOff, Col: n.Column}
}

// source renders a node's position as file:line, the form used in
// signals and route sources.
func (d *document) source(n *yaml.Node) string {
	p := d.pos(n)
	return p.File + ":" + strconv.Itoa(p.Line)
}

// splitDocuments cuts a YAML stream at its document markers ("---" or
// "..." at the start of a line, followed by a blank or the line end), which
// YAML recognises wherever they occur. Each chunk keeps its starting "---"
// line and is returned with the file line it starts on.
func splitDocuments(data []byte) (chunks [][]byte, starts []int) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	begin, beginLine := 0, 1
	off := 0
	for i, l := range lines {
		if i > 0 && isMarker(l, "---") {
			chunks, starts = append(chunks, data[begin:off]), append(starts, beginLine)
			begin, beginLine = off, i+1
		}
		off += len(l)
		if isMarker(l, "...") {
			chunks, starts = append(chunks, data[begin:off]), append(starts, beginLine)
			begin, beginLine = off, i+2
		}
	}
	if begin < len(data) {
		chunks, starts = append(chunks, data[begin:]), append(starts, beginLine)
	}
	return chunks, starts
}

func isMarker(line []byte, m string) bool {
	if !bytes.HasPrefix(line, []byte(m)) {
		return false
	}
	rest := line[len(m):]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\n' || rest[0] == '\r'
}

// parseFile decodes every document of a file. A malformed document is
// reported at the line and column where the YAML stops being parseable and
// skipped; the file's other documents are still read.
func parseFile(f File, diags *diag.List) []*document {
	var docs []*document
	chunks, starts := splitDocuments(f.Data)
	for i, chunk := range chunks {
		root, err := decodeOne(chunk)
		if err != nil {
			line, col := locateError(chunk)
			if strings.EqualFold(path.Ext(f.Name), ".json") {
				line, col = locateJSONError(chunk, line, col)
			}
			diags.Errorf(diag.Pos{File: f.Name, Line: starts[i] + line - 1, Col: col}, "%s", yamlMessage(err))
			continue
		}
		if root != nil {
			docs = append(docs, &document{file: f.Name, lineOff: starts[i] - 1, root: root})
		}
	}
	return docs
}

// decodeOne decodes the single document of a chunk; it returns nil for an
// empty document.
func decodeOne(chunk []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(chunk))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err == nil {
			err = errors.New("yaml: unexpected second document")
		}
		return nil, err
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		return nil, nil // an empty document, or only comments
	}
	return doc.Content[0], nil
}

// Bounds of the prefix searches of locateError. Every probe parses a
// prefix of the document, so probing every line would be quadratic in the
// document's size.
const (
	linearProbes = 64  // up to this many candidates, probe every one
	lineWindow   = 50  // lines a multi-line construct may span unclosed
	colWindow    = 200 // bytes a quoted scalar may span unclosed on a line
)

// locateError finds where a malformed document stops being parseable: the
// line after the longest run of lines that parses, and on that line the
// column after the longest prefix that parses. yaml.v3 reports only a line,
// often the start of the enclosing construct rather than the problem, and
// no column; this search gives both.
func locateError(chunk []byte) (line, col int) {
	lines := bytes.SplitAfter(chunk, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	ends := make([]int, len(lines)+1) // ends[i]: bytes of the first i lines
	for i, l := range lines {
		ends[i+1] = ends[i] + len(l)
	}
	good := lastParseable(len(lines), lineWindow, func(i int) bool { return parses(chunk[:ends[i]]) })
	if good >= len(lines) {
		return max(len(lines), 1), 1
	}
	prefix := chunk[:ends[good]:ends[good]]
	text := strings.TrimRight(string(lines[good]), "\r\n")
	last := lastParseable(len(text), colWindow, func(j int) bool { return parses(append(prefix, text[:j]...)) })
	last = min(last, max(len(text)-1, 0))
	return good + 1, utf8.RuneCountInString(text[:last]) + 1
}

// lastParseable returns the largest i in [0, n] for which ok(i) holds,
// ok(0) being assumed. Small n are probed exhaustively. Otherwise ok is
// taken to be monotone except over unclosed constructs (a quoted scalar or
// flow collection spanning lines fails until closed) no longer than
// window: a bisection finds a boundary, and the window past it is probed
// for a later success, from which the bisection resumes.
func lastParseable(n, window int, ok func(int) bool) int {
	if n <= linearProbes {
		last := 0
		for i := 1; i <= n; i++ {
			if ok(i) {
				last = i
			}
		}
		return last
	}
	lo := 0
	for {
		hi := n + 1 // taken to fail
		for hi-lo > 1 {
			if mid := (lo + hi) / 2; ok(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		next := -1
		for j := lo + 2; j <= min(n, lo+window) && next < 0; j++ {
			if ok(j) {
				next = j
			}
		}
		if next < 0 {
			return lo
		}
		lo = next
	}
}

// locateJSONError places a syntax error of a JSON document where
// encoding/json finds it: a JSON document is usually one flow mapping, and
// no prefix of it parses, so the prefix search would point at its start.
// It returns line, col unchanged when the document is valid JSON.
func locateJSONError(chunk []byte, line, col int) (int, int) {
	var v any
	var se *json.SyntaxError
	if err := json.Unmarshal(chunk, &v); !errors.As(err, &se) {
		return line, col
	}
	at := min(max(int(se.Offset)-1, 0), len(chunk))
	before := chunk[:at]
	nl := bytes.LastIndexByte(before, '\n')
	return bytes.Count(before, []byte("\n")) + 1, utf8.RuneCount(before[nl+1:]) + 1
}

func parses(b []byte) bool {
	_, err := decodeOne(b)
	return err == nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: (line \d+: )?`)

// yamlMessage strips yaml.v3's "yaml: line N:" prefix (its line is not the
// problem's; locateError finds that).
func yamlMessage(err error) string {
	return "invalid YAML: " + yamlLineRE.ReplaceAllString(err.Error(), "")
}
