package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/fatih/color"
	gotestsum "gotest.tools/gotestsum/cmd"
)

// eventsEnv, when set, makes this binary print the file it names and exit:
// the command gotestsum runs (--raw-command) to read merge's test events.
const eventsEnv = "VLLM_ACCEPTANCE_PRINT_EVENTS"

// printEvents serves eventsEnv; it reports whether it did.
func printEvents(stdout io.Writer) (handled bool, code int) {
	path := os.Getenv(eventsEnv)
	if path == "" {
		return false, 0
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vllm-acceptance:", err)
		return true, 2
	}
	defer f.Close()
	if _, err := io.Copy(stdout, f); err != nil {
		fmt.Fprintln(os.Stderr, "vllm-acceptance:", err)
		return true, 2
	}
	return true, 0
}

// junitMu serializes writeJUnit's use of gotestsum's global output.
var junitMu sync.Mutex

// writeJUnit turns go test -json events into junit.xml with gotestsum, the
// writer that gives live runs theirs (make acceptance), so a merged run's
// junit.xml has the same shape, classnames and failure elements.
//
// Why this way: gotestsum's JUnit writer (internal/junitxml) is internal
// to its module and cannot be imported; a second, hand-written XML writer
// drifted from it before (issue 18). Its command package is public, but
// it reads events only from the stdout of a command it starts. The image
// is distroless (no cat, no go toolchain), so the command is this binary
// itself, told by eventsEnv to print the events file.
func writeJUnit(path string, events []byte) error {
	if os.Getenv(eventsEnv) != "" {
		// This process is the events printer's child and did not print:
		// never start another (a binary without the printEvents hook).
		return fmt.Errorf("junit.xml: %s is set in merge's own environment; unset it", eventsEnv)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".events-*.json")
	if err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(events); err != nil {
		tmp.Close()
		return fmt.Errorf("junit.xml: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("junit.xml: %w", err)
	}
	os.Setenv(eventsEnv, tmp.Name())
	defer os.Unsetenv(eventsEnv)
	// gotestsum's junit.xml records the Go version from `go version`
	// unless GOVERSION names it; the image has no toolchain, so name the
	// one this binary was built with (else a "Failed to lookup go
	// version" warning in every merge Job's log).
	if _, ok := os.LookupEnv("GOVERSION"); !ok {
		os.Setenv("GOVERSION", runtime.Version())
		defer os.Unsetenv("GOVERSION")
	}
	// gotestsum prints its format and a "DONE n tests" line to
	// color.Output (os.Stdout), even with format "none" and no summary:
	// sent nowhere, merge's own output stays alone. The run's pass or fail
	// is merge's exit code, not gotestsum's: its error here is only a
	// failure to write.
	junitMu.Lock()
	defer junitMu.Unlock()
	defer func(w io.Writer) { color.Output = w }(color.Output)
	color.Output = io.Discard
	err = gotestsum.Run("gotestsum", []string{"--format", "none", "--hide-summary", "all",
		"--junitfile", path, "--raw-command", "--", self})
	if _, statErr := os.Stat(path); statErr != nil {
		return fmt.Errorf("junit.xml: gotestsum wrote none: %v", err)
	}
	return nil
}
