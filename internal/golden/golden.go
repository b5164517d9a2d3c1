// Package golden compares test output with files under testdata/, and
// rewrites them when the test binary runs with -update (as gotest.tools'
// golden does): `go test ./internal/report -update`.
//
// It is imported by tests only; it registers the -update flag, so a test
// package that imports it must not define its own.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// Assert compares got with the file at path (relative to the test's
// package folder, normally testdata/NAME); with -update it first writes got
// there. The failure says how to regenerate it.
func Assert(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run 'go test -run %s . -update' in its package to create it", t.Name())
	assert.Equal(t, string(want), string(got), "%s differs from the output; if the change is intended, rerun the test with -update and review the diff", path)
}
