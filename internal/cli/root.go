// Package cli implements emac's command line: one file per subcommand, all
// I/O at this edge, every stage below it pure.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0
	ExitGate     = 1 // a gatekeeping command said no (FAIL, DENY, drift, stale)
	ExitBadInput = 2 // bad input: spec errors, unreadable files, bad flags
)

// Version is emac's version, stamped into generated files.
var Version = "0.1.0-dev"

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// badInput wraps err as an exit-2 error.
func badInput(err error) error { return &exitError{code: ExitBadInput, err: err} }

// env is what every command may use for I/O.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Run executes emac with args (without the program name) and returns the
// process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "emac: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "emac: %v\n", err)
	return ExitBadInput
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "emac",
		Short: "Emergence-as-Code: journey SLOs derived from topology and evidence",
		Long: `emac reads a declared user journey (kind: JourneyIntent) with its leaf
bindings (OpenSLO atomic SLOs, inline evidence) and failure domains, and
derives the journey's reliability as honest intervals: an optimistic
availability A+ under independence and a pessimistic A- under shared fate,
with a PASS / REVIEW / FAIL decision and the components and failure domains
that dominate the error budget.

A PATH may be a file or a directory; directories are read recursively and
every YAML document is routed by apiVersion/kind (unrelated kinds are
ignored).

Exit codes: 0 success, 1 a gate said no, 2 bad input.`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	root.AddCommand(newEvalCmd(e), newSimulateCmd(e), newCompileCmd(e), newCheckCmd(e), newDiscoverCmd(e), newDiffCmd(e))
	return root
}
