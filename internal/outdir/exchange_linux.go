package outdir

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// exchange swaps the directory entries a and b in one atomic step.
func exchange(a, b string) error {
	if err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE); err != nil {
		return fmt.Errorf("cannot swap %s into place (renameat2 RENAME_EXCHANGE): %w", b, err)
	}
	return nil
}
