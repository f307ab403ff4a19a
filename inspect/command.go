package inspect

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/stevedore-go/stevedore/entrypoints"
)

// Command is a plugins subcommand a host program mounts, with the
// standard library's flag package:
//
//	PROG plugins [-json] [list]          every entry point and what became of it
//	PROG plugins [-json] show NS NAME    every field of the entry points NS/NAME
//	PROG plugins [-json] check           the problems, as file:line:col: message; exit status 1 if any
//	PROG plugins doc NS                  a Markdown reference of namespace NS
//
// Flags may come anywhere, before the verb or after. Only the program
// knows the manifests it embeds, the targets it registers and the
// managers it builds, so Report is the program's: typically Discover as
// it does, load its managers, and New(catalog, Of(m1), Of(m2)...).
type Command struct {
	// Name is how the program calls the subcommand, for its usage, such
	// as "ceilometer plugins".
	Name string

	// Report builds the report. paths are the arguments after the verb's
	// own, given only when Paths is set.
	Report func(ctx context.Context, paths []string) (*Report, error)

	// Paths lets each verb take, after its own arguments, manifests and
	// directories to read (for a command that works on files, as the
	// stevedore command does).
	Paths bool

	// Settings gives the settings keys of an entry point for doc; nil
	// documents none. RegisteredSettings reads them from a registry.
	Settings func(entrypoints.EntryPoint) []Setting

	// AfterList, if set, writes what the program adds after list's
	// table; it is not called with -json.
	AfterList func(w io.Writer, r *Report) error

	// MoreUsage is added to the usage: lines for the program's own verbs,
	// each ending in a newline.
	MoreUsage string
}

// errUsage is a command line the command cannot run.
var errUsage = errors.New("usage")

// Run runs the subcommand with args, those after its name, and returns the
// exit status: 0, 1 when check finds a problem or the command fails, 2
// for a usage error.
func (c *Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "write JSON, for tools")
	paths := ""
	if c.Paths {
		paths = " [DIR|FILE...]"
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage:\n"+
			"  %[1]s [-json] [list]%[2]s          every entry point and what became of it\n"+
			"  %[1]s [-json] show NS NAME%[2]s    every field of the entry points NS/NAME\n"+
			"  %[1]s [-json] check%[2]s           the problems, as file:line:col: message; exit status 1 if any\n"+
			"  %[1]s doc NS%[2]s                  a Markdown reference of namespace NS\n%[3]s", c.Name, paths, c.MoreUsage)
	}
	// Flags anywhere: before the verb, after it, among the paths.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if args = fs.Args(); len(args) == 0 {
			break
		}
		positional, args = append(positional, args[0]), args[1:]
	}
	verb, rest := "list", positional
	if len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	err := c.run(ctx, verb, rest, *asJSON, stdout)
	var problems errProblems
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, strings.TrimPrefix(err.Error(), "usage: "))
		fs.Usage()
		return 2
	case errors.As(err, &problems):
		return 1
	default:
		fmt.Fprintf(stderr, "%s: %v\n", c.Name, err)
		return 1
	}
}

// errProblems is check's failure: the problems are its output.
type errProblems int

func (e errProblems) Error() string { return fmt.Sprintf("%d problems", int(e)) }

func (c *Command) run(ctx context.Context, verb string, args []string, asJSON bool, stdout io.Writer) error {
	want := map[string]int{"list": 0, "check": 0, "show": 2, "doc": 1}
	n, ok := want[verb]
	if !ok {
		return fmt.Errorf("%w: unknown command %q", errUsage, verb)
	}
	if len(args) < n || len(args) > n && !c.Paths {
		return fmt.Errorf("%w: %s takes %d arguments", errUsage, verb, n)
	}
	if verb == "doc" && asJSON {
		return fmt.Errorf("%w: doc writes Markdown, not JSON", errUsage)
	}
	var paths []string
	if c.Paths {
		paths = args[n:]
	}
	r, err := c.Report(ctx, paths)
	if err != nil {
		return err
	}
	switch verb {
	case "list":
		if asJSON {
			return WriteJSON(stdout, r)
		}
		if err := r.WriteTable(stdout); err != nil {
			return err
		}
		if c.AfterList != nil {
			return c.AfterList(stdout, r)
		}
		return nil
	case "show":
		entries := r.Lookup(args[0], args[1])
		if len(entries) == 0 {
			return fmt.Errorf("no entry point %s/%s", args[0], args[1])
		}
		if asJSON {
			return WriteJSON(stdout, entries)
		}
		for i, e := range entries {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if err := WriteEntry(stdout, e); err != nil {
				return err
			}
		}
		return nil
	case "check":
		if asJSON {
			err = WriteJSON(stdout, struct {
				Problems []Problem `json:"problems"`
				Notes    []Problem `json:"notes"`
			}{r.Problems, r.Notes})
		} else {
			err = r.WriteProblems(stdout)
		}
		if err == nil && len(r.Problems) > 0 {
			err = errProblems(len(r.Problems))
		}
		return err
	default: // doc
		if !slices.Contains(r.Namespaces(), args[0]) {
			return fmt.Errorf("no namespace %s; the namespaces are %s", args[0], strings.Join(r.Namespaces(), ", "))
		}
		return r.WriteMarkdown(stdout, args[0], c.Settings)
	}
}
