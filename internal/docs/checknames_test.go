package docs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkLiteralRE is a sidecar.Check built with its name as a string
// literal: `Check{Name: "turns"`.
var checkLiteralRE = regexp.MustCompile(`Check\{\{?Name: *"`)

// TestCheckNamesComeFromTheTable: no code outside internal/checkname names
// a check with a literal, so every name a run writes is one
// ACCEPTANCE_FAIL_UNKNOWN accepts and docs/reference.md lists.
func TestCheckNamesComeFromTheTable(t *testing.T) {
	scanned := 0
	for _, dir := range []string{"internal", "cmd", "acceptance"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			src, err := os.ReadFile(p)
			require.NoError(t, err)
			scanned++
			for i, line := range strings.Split(string(src), "\n") {
				assert.False(t, checkLiteralRE.MatchString(line), "%s:%d names a check with a literal; use a constant of internal/checkname (sidecar.Check*): %s", p, i+1, strings.TrimSpace(line))
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.Greater(t, scanned, 50, "the scan read the tree")
}
