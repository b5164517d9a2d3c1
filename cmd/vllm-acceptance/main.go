// Command vllm-acceptance is the suite's thin CLI. Each subcommand lives in
// its own file and registers itself in commands; the work is done by the
// same internal packages the tests use.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. run gets the arguments after the subcommand
// name and returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name string, c command) { commands[name] = c }

func main() {
	if handled, code := printEvents(os.Stdout); handled {
		os.Exit(code)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				return c.run([]string{"--help"}, stdout, stderr)
			}
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "vllm-acceptance: unknown command %q; run 'vllm-acceptance --help' for the list\n", args[0])
		return 2
	}
	return c.run(args[1:], stdout, stderr)
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
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].summary)
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
