package diag

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// DidYouMean returns ` (did you mean "x"?)` listing up to three candidates
// close to name (edit distance at most a third of its length, at least 1,
// ignoring case), or "" when none is close.
func DidYouMean(name string, candidates []string) string {
	type match struct {
		name string
		dist int
	}
	limit := max(1, len(name)/3)
	var ms []match
	for _, c := range candidates {
		if d := editDistance(strings.ToLower(name), strings.ToLower(c)); d <= limit {
			ms = append(ms, match{c, d})
		}
	}
	if len(ms) == 0 {
		return ""
	}
	slices.SortFunc(ms, func(a, b match) int { return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.name, b.name)) })
	var quoted []string
	for _, m := range ms[:min(3, len(ms))] {
		quoted = append(quoted, strconv.Quote(m.name))
	}
	if len(quoted) == 1 {
		return " (did you mean " + quoted[0] + "?)"
	}
	last := len(quoted) - 1
	return " (did you mean " + strings.Join(quoted[:last], ", ") + " or " + quoted[last] + "?)"
}

// editDistance is the optimal-string-alignment distance between a and b, in
// bytes: insertions, deletions, substitutions and swaps of adjacent bytes
// ("p_hti" → "p_hit") cost 1 each.
func editDistance(a, b string) int {
	rows := [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	for j := range rows[1] { // row r lives in rows[(r+1)%3]
		rows[1][j] = j
	}
	for i := 1; i <= len(a); i++ {
		pp, prev, cur := rows[(i+2)%3], rows[i%3], rows[(i+1)%3] // rows i−2, i−1, i
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
	}
	return rows[(len(a)+1)%3][len(b)]
}
