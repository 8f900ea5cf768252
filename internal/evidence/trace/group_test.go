package trace

import (
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"testing"

	"github.com/emac-dev/emac/internal/limits"
)

// groupInput returns the spans of n traces of k spans each, every span
// with attributes and one of three resources, in an order chosen by
// shuffle: "trace" keeps each trace together, "service" lists span j of
// every trace before span j+1 (files grouped by service), "random"
// shuffles everything.
func groupInput(n, k int, order string) []Span {
	res := []map[string]string{
		{AttrServiceName: "a", AttrZone: "z1"}, {AttrServiceName: "b"}, {AttrServiceName: "c", AttrHost: "h"},
	}
	var out []Span
	for j := range k {
		for i := range n {
			s := Span{TraceID: fmt.Sprintf("%032x", i+1), SpanID: fmt.Sprintf("%016x", j+1), Service: fmt.Sprintf("svc%d", j%3),
				Name: fmt.Sprintf("op %d", j), Kind: Kind(j % 4), Start: int64(i)*1e9 + int64(j)*1e6, End: int64(i)*1e9 + int64(j+1)*1e6,
				Error: (i+j)%7 == 0, StatusMessage: "", Resource: res[j%3],
				Attrs: map[string]string{AttrPeerService: fmt.Sprintf("p%d", j), "url.full": fmt.Sprintf("http://x/%d/%d/%0200d", i, j, 0)}}
			if j > 0 {
				s.ParentID = fmt.Sprintf("%016x", j)
			}
			out = append(out, s)
		}
	}
	switch order {
	case "trace":
		slices.SortStableFunc(out, func(a, b Span) int { return cmpString(a.TraceID, b.TraceID) })
	case "random":
		r := rand.New(rand.NewPCG(1, 2))
		r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestGrouper groups spans given in any order into whole traces, in
// memory and spilled to disk (split again when a partition is large),
// drops repeated spans, and names the file of each trace's root span as
// its source.
func TestGrouper(t *testing.T) {
	const n, k = 500, 7
	for _, order := range []string{"trace", "service", "random"} {
		for _, mem := range []int64{0, 16 << 10} {
			t.Run(fmt.Sprintf("%s/%d", order, mem), func(t *testing.T) {
				dir := t.TempDir()
				g := NewGrouper(GroupOptions{Dir: dir, MemoryBytes: mem})
				in := groupInput(n, k, order)
				rootSrc := map[string]string{}
				for i := range in {
					src := "a.json"
					if i%2 == 1 {
						src = "b.json"
					}
					if in[i].ParentID == "" {
						rootSrc[in[i].TraceID] = src
					}
					if err := g.Add(src, &in[i]); err != nil {
						t.Fatal(err)
					}
					if i%50 == 0 { // a repeated batch
						if err := g.Add("c.json", &in[i]); err != nil {
							t.Fatal(err)
						}
					}
				}
				want := map[string][]Span{}
				for _, s := range in {
					want[s.TraceID] = append(want[s.TraceID], s)
				}
				got := map[string]bool{}
				err := g.Close(func(src string, tr []Span) error {
					id := tr[0].TraceID
					if got[id] {
						t.Errorf("trace %s handed on twice", id)
					}
					got[id] = true
					if src != rootSrc[id] {
						t.Errorf("trace %s handed on from %s, its root span read from %s", id, src, rootSrc[id])
					}
					if !reflect.DeepEqual(tr, want[id]) {
						t.Errorf("trace %s: got %d spans %v, want %v", id, len(tr), tr[0], want[id][0])
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				st := g.Stats()
				if len(got) != n || st.Traces != n || st.Spans != n*k || st.Duplicates != (len(in)+49)/50 {
					t.Errorf("%d traces, stats %+v", len(got), st)
				}
				if (st.Spilled > 0) != (mem > 0) {
					t.Errorf("spilled %d bytes with a memory bound of %d", st.Spilled, mem)
				}
				if left, _ := os.ReadDir(dir); len(left) != 0 {
					t.Errorf("spill files left behind: %v", left)
				}
			})
		}
	}
}

// TestGrouperLimitSpans fails on a trace over the bound.
func TestGrouperLimitSpans(t *testing.T) {
	g := NewGrouper(GroupOptions{Dir: t.TempDir()})
	g.LimitSpans(3)
	for _, s := range groupInput(2, 4, "random") {
		if err := g.Add("x", &s); err != nil {
			t.Fatal(err)
		}
	}
	err := g.Close(func(string, []Span) error { return nil })
	if !limits.IsLimit(err) {
		t.Errorf("got %v, want a limit error", err)
	}
}
