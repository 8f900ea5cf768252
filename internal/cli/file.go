package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomically writes data to path through a temporary file in the
// same directory and a rename, so readers never see half a file and a
// failed write leaves the old file in place.
func writeFileAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, errors.Unwrap(err))
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// samePathClean reports whether two paths name the same file lexically.
func samePathClean(a, b string) bool { return filepath.Clean(a) == filepath.Clean(b) }
