// Package cli implements emac's command line: one file per subcommand, all
// I/O at this edge, every stage below it pure.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/emac-dev/emac/internal/limits"
)

// Exit codes shared by every command.
const (
	ExitOK       = 0
	ExitGate     = 1 // a gatekeeping command said no (FAIL, DENY, drift, stale)
	ExitBadInput = 2 // bad input: spec errors, unreadable files, bad flags, unwritable output
	ExitInternal = 3 // a bug in emac: an internal error, reported without a stack trace
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

// env is what every command may use for I/O, and the limits it works
// under.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	limits         limits.Limits
}

// Run executes emac with args (without the program name) and returns the
// process exit code. A panic inside a command becomes "internal error"
// with exit 3 (the stack goes to stderr only when EMAC_DEBUG is set), and
// a failed write to stdout makes the run fail with exit 2 even when the
// command itself succeeded.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	out := &checkedWriter{w: stdout}
	defer func() {
		if r := recover(); r != nil {
			code = internalError(stderr, r)
		}
	}()
	e := &env{stdin: stdin, stdout: out, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(out)
	root.SetErr(stderr)
	code = exitCode(stderr, root.ExecuteContext(ctx))
	if out.err != nil && code != ExitInternal {
		fmt.Fprintf(stderr, "emac: writing standard output: %v\n", unwrapPathError(out.err))
		return ExitBadInput
	}
	return code
}

// exitCode prints err (if any) and returns the exit code it carries.
func exitCode(stderr io.Writer, err error) int {
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

// internalError reports a recovered panic without a stack trace (unless
// EMAC_DEBUG is set) and returns ExitInternal.
func internalError(stderr io.Writer, r any) int {
	fmt.Fprintf(stderr, "emac: internal error, please report it with the command and input that caused it: %v\n", r)
	if os.Getenv("EMAC_DEBUG") != "" {
		stderr.Write(debug.Stack())
	}
	return ExitInternal
}

// checkedWriter remembers the first write error, so that a command whose
// output could not be written (a full disk, a closed pipe) fails.
type checkedWriter struct {
	w   io.Writer
	err error
}

func (c *checkedWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	c.err = err
	return n, err
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

Exit codes: 0 success, 1 a gate said no, 2 bad input (or output that could
not be written), 3 an internal error (a bug: please report it).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(e.stderr, cmd.UsageString())
			return badInput(errors.New("a command is needed (see the list above)"))
		},
		Version: Version,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if err := e.limits.Validate(); err != nil {
				return badInput(err)
			}
			return nil
		},
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return badInput(fmt.Errorf("%w (see '%s --help')", err, c.CommandPath()))
	})
	addLimitFlags(root.PersistentFlags(), &e.limits)
	root.AddCommand(newEvalCmd(e), newSimulateCmd(e), newCompileCmd(e), newCheckCmd(e), newDiscoverCmd(e), newDiffCmd(e))
	return root
}
