// Package testenv tells tests about the environment they run in: where the
// reference artifact of the paper is, and whether long Monte Carlo runs
// are wanted.
//
// Two environment variables steer it (CI's .ci/run sets both):
//
//	EMAC_REQUIRE_ARTIFACT=1  a missing reference artifact fails the test instead of skipping it
//	EMAC_LONG=1              Monte Carlo tests run at full size instead of a reduced one
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Names of the environment variables read by this package.
const (
	// RequireArtifactVar, set to 1, makes Artifact fail the test when the
	// reference artifact is absent.
	RequireArtifactVar = "EMAC_REQUIRE_ARTIFACT"
	// LongVar, set to 1, makes Long report true and Size return the full
	// size.
	LongVar = "EMAC_LONG"
)

// ArtifactRel is where the reference artifact lies, relative to the
// repository root: in the shared directory beside the clone.
const ArtifactRel = "../shared/anchors/emac-artifact"

// RepoRoot returns the repository root: the nearest directory holding
// go.mod, walking up from the working directory (a test's working
// directory is its package's directory). It fails tb when there is none.
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatalf("testenv: working directory: %v", err)
	}
	root, err := findRoot(wd)
	if err != nil {
		tb.Fatalf("testenv: %v", err)
	}
	return root
}

// findRoot returns the nearest directory at or above dir that holds go.mod.
func findRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; {
		if fi, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !fi.IsDir() {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod in %s or any directory above it", dir)
		}
		d = parent
	}
}

// Artifact returns the directory of the reference artifact
// (ArtifactRel from the repository root). When it is absent, the test is
// skipped with a message naming where it looked, or fails when
// EMAC_REQUIRE_ARTIFACT=1.
func Artifact(tb testing.TB) string {
	tb.Helper()
	return artifact(tb, RepoRoot(tb), envBool(tb, RequireArtifactVar))
}

// artifact is Artifact for the repository root root.
func artifact(tb testing.TB, root string, require bool) string {
	tb.Helper()
	dir := filepath.Clean(filepath.Join(root, ArtifactRel))
	fi, err := os.Stat(dir)
	if err == nil && fi.IsDir() {
		return dir
	}
	if err == nil {
		err = fmt.Errorf("%s is not a directory", dir)
	}
	if require {
		tb.Fatalf("reference artifact required (%s=1) but not found at %s: %v", RequireArtifactVar, dir, err)
	}
	tb.Skipf("reference artifact not found at %s (%s relative to the repository root); skipped (set %s=1 to fail instead)",
		dir, ArtifactRel, RequireArtifactVar)
	return ""
}

// Long reports whether long runs are wanted (EMAC_LONG=1).
func Long(tb testing.TB) bool {
	tb.Helper()
	return envBool(tb, LongVar)
}

// Size returns full when EMAC_LONG=1, and reduced otherwise, logging the
// reduction. Tests use it for the sample and journey counts of Monte
// Carlo runs, so that the default suite still checks each property, on a
// smaller run.
func Size(tb testing.TB, full, reduced int) int {
	tb.Helper()
	if Long(tb) || full == reduced {
		return full
	}
	tb.Logf("reduced run: %d instead of %d (%s=1 for the full run)", reduced, full, LongVar)
	return reduced
}

// envBool reads the environment variable name: unset, empty or 0 is
// false, 1 is true, and anything else fails tb (scripts/test compares
// with 1 too).
func envBool(tb testing.TB, name string) bool {
	tb.Helper()
	switch v := os.Getenv(name); v {
	case "", "0":
		return false
	case "1":
		return true
	default:
		tb.Fatalf("%s=%q: want 1 or 0", name, v)
		return false
	}
}
