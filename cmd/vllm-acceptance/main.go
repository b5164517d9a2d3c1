// Command vllm-acceptance is the suite's thin CLI. Each subcommand lives in
// its own file as a command value, listed in order in commands; the work is done by the
// same internal packages the tests use.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one subcommand, as data: its name, the line the top-level
// --help gives it, its --help text (everything before the flags, which
// flag prints), and flags, which declares its flags on a FlagSet and
// returns the step to run once they are parsed (with the positional
// arguments). noArgs makes a positional argument a usage error. run, when
// set, replaces flag parsing altogether (version takes no flags).
type command struct {
	name    string
	summary string
	help    string
	noArgs  bool
	flags   func(fs *flag.FlagSet) func(args []string, stdout, stderr io.Writer) int
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands are every subcommand, in the order the top-level --help lists
// them.
var commands = []command{
	compareCommand,
	gpuCommand,
	mergeCommand,
	rankCommand,
	reportCommand,
	simCommand,
	versionCommand,
}

// lookup is the command called name.
func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func main() {
	if handled, code := printEvents(os.Stdout); handled {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := lookup(args[1]); ok {
				return c.exec([]string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "vllm-acceptance: unknown command %q; run 'vllm-acceptance --help' for the list\n", args[0])
		return 2
	}
	return c.exec(args[1:], stdout, stderr)
}

// exec parses the command's flags (--help prints its help to stdout) and
// runs it.
func (c command) exec(args []string, stdout, stderr io.Writer) int {
	if c.run != nil {
		return c.run(args, stdout, stderr)
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	// flag prints a parse error itself; the full text goes to stdout on
	// --help only.
	fs.Usage = func() {}
	step := c.flags(fs)
	parse := parseFlags
	if c.noArgs {
		parse = parseNoArgs
	}
	if code, stop := parse(fs, args, func(w io.Writer) { c.printHelp(fs, w) }, stdout, stderr); stop {
		return code
	}
	return step(fs.Args(), stdout, stderr)
}

// printHelp writes the command's --help: its text, then its flags.
func (c command) printHelp(fs *flag.FlagSet, w io.Writer) {
	fs.SetOutput(w)
	fmt.Fprint(w, c.help, "Flags:\n")
	fs.PrintDefaults()
}

func usage(w io.Writer) {
	fmt.Fprint(w, `vllm-acceptance decides whether a vLLM (or any OpenAI-compatible) server may be promoted.

The suite itself is a Go test package:
  VLLM_BASE_URL=http://gpu-box:5002/v1 go test -tags live ./acceptance
This command holds the tools around it.

Usage:
  vllm-acceptance <command> [flags]

Commands:
`)
	width := 0
	for _, c := range commands {
		width = max(width, len(c.name))
	}
	for _, c := range commands {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprint(w, strings.TrimLeft(`
Run 'vllm-acceptance <command> --help' for a command's flags.
`, "\n"))
}

// parseFlags parses a subcommand's flags. --help prints the full usage to
// stdout (exit 0); a bad flag leaves flag's own one-line error on stderr and
// points at --help (exit 2). stop says whether the caller must return code.
func parseFlags(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer) (code int, stop bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		usage(stdout)
		return 0, true
	default:
		fmt.Fprintf(stderr, "run 'vllm-acceptance %s --help' for the flags\n", fs.Name())
		return 2, true
	}
}

// parseNoArgs is parseFlags for a command that takes flags only: a
// positional argument is a usage error (exit 2) that says so.
func parseNoArgs(fs *flag.FlagSet, args []string, usage func(io.Writer), stdout, stderr io.Writer) (code int, stop bool) {
	if code, stop := parseFlags(fs, args, usage, stdout, stderr); stop {
		return code, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vllm-acceptance %s: unexpected argument %q; run 'vllm-acceptance %s --help'\n", fs.Name(), fs.Arg(0), fs.Name())
		return 2, true
	}
	return 0, false
}
