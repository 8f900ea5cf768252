//go:build !linux

package outdir

import "os"

// exchange swaps a and b with two renames. Without Linux's
// RENAME_EXCHANGE there is a moment in which b is missing; a kill at that
// moment leaves the new tree at a and the old one at a+".old" (removed by
// the next run with the stale staging directories).
func exchange(a, b string) error {
	old := a + ".old"
	if err := os.Rename(b, old); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		os.Rename(old, b)
		return err
	}
	return os.Rename(old, a)
}
