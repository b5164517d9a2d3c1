package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeCompareExitCodes holds the README's table of compare's exit
// codes to the constants compare returns: a code added or renumbered in the
// code and not in the table (or the other way) fails here.
func TestReadmeCompareExitCodes(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, table, ok := strings.Cut(string(b), "| exit | meaning |")
	require.True(t, ok, "README.md has compare's exit-code table")
	table, _, _ = strings.Cut(table, "\n\n")
	got := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \| ([a-z]+)`).FindAllStringSubmatch(table, -1) {
		n, _ := strconv.Atoi(m[1])
		got[n] = m[2]
	}
	want := map[int]string{0: "pass", exitRegressed: "regressed", exitUsage: "usage", exitRefused: "refused", exitInconclusive: "inconclusive"}
	assert.Equal(t, want, got, "README.md's exit table (code: first word) against compare's constants")
}
