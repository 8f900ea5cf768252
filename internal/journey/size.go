package journey

import (
	"github.com/emac-dev/emac/internal/diag"
	"github.com/emac-dev/emac/internal/limits"
)

// CheckSize reports, at the offending node, a tree that exceeds the
// size limits lim: more nodes than lim.Nodes, deeper than lim.Depth, an
// operator with more children than lim.Branches, a Retry with more
// attempts than lim.RetryAttempts. Each message names the limit and its
// flag (see limits.Error). Zero fields of lim take their defaults. The
// walk stops at the first node beyond the node or depth limit, so a
// hostile tree costs no more than the limits allow.
func CheckSize(root Node, lim limits.Limits) *diag.List {
	lim = lim.Or()
	errs := &diag.List{}
	if root == nil {
		return errs
	}
	nodes := 0
	var walk func(n Node, depth int) bool
	walk = func(n Node, depth int) bool {
		if n == nil {
			return true
		}
		nodes++
		if nodes > lim.Nodes {
			errs.Errorf(root.Position(), "%v", &limits.Error{What: "the operator tree", Limit: int64(lim.Nodes), Unit: "nodes", Flag: limits.FlagNodes})
			return false
		}
		if depth > lim.Depth {
			errs.Errorf(n.Position(), "%v", &limits.Error{What: "the operator tree's nesting", Limit: int64(lim.Depth), Unit: "levels", Flag: limits.FlagDepth})
			return false
		}
		checkNode(n, lim, errs)
		for _, c := range n.Children() {
			if !walk(c, depth+1) {
				return false
			}
		}
		return true
	}
	walk(root, 1)
	return errs
}

// checkNode reports one node's own size limits.
func checkNode(n Node, lim limits.Limits, errs *diag.List) {
	if k := len(n.Children()); k > lim.Branches {
		errs.Errorf(n.Position(), "%v", &limits.Error{What: opName(n) + " with " + limits.Count(int64(k)) + " children", Limit: int64(lim.Branches), Unit: "children", Flag: limits.FlagBranches})
	}
	if r, ok := n.(*Retry); ok && r.Attempts > lim.RetryAttempts {
		errs.Errorf(n.Position(), "%v", &limits.Error{What: "Retry with " + limits.Count(int64(r.Attempts)) + " attempts", Limit: int64(lim.RetryAttempts), Unit: "attempts", Flag: limits.FlagRetryAttempts})
	}
}
