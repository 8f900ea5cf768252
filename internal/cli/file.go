package cli

import (
	"os"
	"path/filepath"
)

// writeFileAtomically writes data to path through a temporary file in the
// same directory and a rename, so readers never see half a file and a
// failed write leaves the old file in place.
func writeFileAtomically(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// samePathClean reports whether two paths name the same file lexically.
func samePathClean(a, b string) bool { return filepath.Clean(a) == filepath.Clean(b) }
