package journey

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// didYouMean returns ` (did you mean "x"?)` listing up to three candidates
// close to name (edit distance at most a third of its length, at least 1,
// ignoring case), or "" when none is close.
func didYouMean(name string, candidates []string) string {
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

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
