// Package outdir replaces a whole output directory atomically.
//
// emac compile writes a tree of generated files per run. Readers (a
// Prometheus that reloads rules, a CI diff, a person) must see either the
// previous tree or the new one, never a mix, whatever happens to the
// writer — an error, a full disk, kill -9. Replace builds the new tree in
// a staging directory beside the output directory and swaps the two
// directory entries in one renameat2(RENAME_EXCHANGE) call; the old tree
// is then removed. Concurrent writers of one directory serialize on a lock
// file beside it, and staging directories left by killed runs are removed
// by the next run.
//
// The output directory is owned by emac: Replace refuses to swap away a
// non-empty directory that does not carry the marker file of an earlier
// run, so a mistyped -o cannot make a home directory disappear.
package outdir

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Options tune Replace.
type Options struct {
	// Marker is the slash path, relative to the directory, of a file
	// that every tree written by Replace contains (files must hold it)
	// and whose presence proves that an existing directory is one to
	// replace.
	Marker string
	// Legacy, when set, accepts an existing directory without the marker
	// (trees written before the marker existed).
	Legacy func(dir string) bool
	// Waiting is called once if another writer holds the lock.
	Waiting func()
	// Hook, for tests, is called at named points: "staged" (the new tree
	// is complete beside the directory), "swapped" (the exchange is
	// done, the old tree not yet removed).
	Hook func(point string)
}

// Replace makes dir hold exactly files (slash paths relative to dir →
// contents), atomically as described in the package doc. Every path must
// be a clean relative path with no "." or ".." element; dir may be a
// symbolic link to a directory, which is then replaced where it points.
func Replace(dir string, files map[string][]byte, o Options) error {
	if err := checkPaths(files, o.Marker); err != nil {
		return err
	}
	real, err := target(dir)
	if err != nil {
		return err
	}
	parent, base := filepath.Dir(real), filepath.Base(real)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	unlock, err := lock(filepath.Join(parent, "."+base+".emac-lock"), o.Waiting)
	if err != nil {
		return err
	}
	defer unlock()
	exists, err := checkOwned(real, o)
	if err != nil {
		return err
	}
	stagePrefix := "." + base + ".emac-stage-"
	removeStale(parent, stagePrefix)
	stage, err := writeStage(parent, stagePrefix, files)
	if err != nil {
		return err
	}
	defer os.RemoveAll(stage)
	o.hook("staged")
	if !exists {
		return os.Rename(stage, real)
	}
	if err := exchange(stage, real); err != nil {
		return err
	}
	o.hook("swapped")
	return nil
}

func (o Options) hook(point string) {
	if o.Hook != nil {
		o.Hook(point)
	}
}

// checkPaths refuses any path that could leave the directory.
func checkPaths(files map[string][]byte, marker string) error {
	if marker != "" {
		if _, ok := files[marker]; !ok {
			return fmt.Errorf("internal error: the tree lacks its marker %s", marker)
		}
	}
	for p := range files {
		if !ValidPath(p) {
			return fmt.Errorf("refusing to write %q: output paths must be clean relative paths inside the output directory", p)
		}
	}
	return nil
}

// ValidPath reports whether p is a clean, relative, slash-separated path
// with no empty, "." or ".." element and no backslash or NUL, i.e. one
// that names a file strictly inside the directory it is joined to.
func ValidPath(p string) bool {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || strings.ContainsAny(p, "\\\x00") {
		return false
	}
	for _, el := range strings.Split(p, "/") {
		if el == "" || el == "." || el == ".." {
			return false
		}
	}
	return true
}

// target resolves dir to the absolute path of the directory to replace
// (following a symbolic link at dir itself, whose target is then the
// output directory), refusing a non-directory and the file-system root.
func target(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
		st, err := os.Stat(abs)
		if err != nil {
			return "", err
		}
		if !st.IsDir() {
			return "", fmt.Errorf("%s exists and is not a directory", dir)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if filepath.Dir(abs) == abs {
		return "", fmt.Errorf("refusing to replace the root directory %s", abs)
	}
	return abs, nil
}

// checkOwned reports whether dir exists, and refuses a non-empty one that
// no earlier run wrote.
func checkOwned(dir string, o Options) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if len(entries) == 0 {
		return true, nil
	}
	if o.Marker != "" {
		if st, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(o.Marker))); err == nil && st.Mode().IsRegular() {
			return true, nil
		}
	}
	if o.Legacy != nil && o.Legacy(dir) {
		return true, nil
	}
	return true, fmt.Errorf("%s is not empty and was not written by emac (no %s): refusing to replace it; remove it or choose another output directory", dir, o.Marker)
}

// removeStale removes staging directories that killed runs left behind;
// the caller holds the lock, so none of them is in use.
func removeStale(parent, prefix string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
			os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// writeStage writes files into a new staging directory in parent.
func writeStage(parent, prefix string, files map[string][]byte) (string, error) {
	stage, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", err
	}
	if err := os.Chmod(stage, 0o755); err != nil {
		os.RemoveAll(stage)
		return "", err
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		name := filepath.Join(stage, filepath.FromSlash(p))
		err := os.MkdirAll(filepath.Dir(name), 0o755)
		if err == nil {
			err = os.WriteFile(name, files[p], 0o644)
		}
		if err != nil {
			os.RemoveAll(stage)
			return "", err
		}
	}
	return stage, nil
}
