package docs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// TestReadmeFacts holds the figures and names the README states in prose
// to the code that decides them: the live tests its table lists are the
// top-level tests of acceptance/, the scenario count is the catalogue's,
// and the conversation's length is the default.
func TestReadmeFacts(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	readme := string(b)

	// Top-level tests of acceptance/ (TestMain aside).
	files, err := filepath.Glob(filepath.Join(root, "acceptance", "*_test.go"))
	require.NoError(t, err)
	var tests []string
	for _, f := range files {
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range af.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Test") && fn.Name.Name != "TestMain" {
				tests = append(tests, fn.Name.Name)
			}
		}
	}
	require.NotEmpty(t, tests)
	var listed []string
	for _, m := range regexp.MustCompile("`(Test[A-Za-z]+)").FindAllStringSubmatch(tableCells(readme), -1) {
		if !slices.Contains(listed, m[1]) {
			listed = append(listed, m[1])
		}
	}
	slices.Sort(tests)
	slices.Sort(listed)
	assert.Equal(t, tests, listed, "README.md's test table must list exactly the top-level tests of acceptance/")

	// The scenario count.
	sc, err := fixture.Load(filepath.Join(root, "fixtures"))
	require.NoError(t, err)
	m := regexp.MustCompile(`\[(\d+) fixture scenarios\]`).FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md states the number of fixture scenarios")
	n, _ := strconv.Atoi(m[1])
	assert.Equal(t, len(sc), n, "README.md's scenario count")

	// The conversation's length.
	m = regexp.MustCompile(`one (\d+)-turn conversation`).FindStringSubmatch(readme)
	require.NotNil(t, m, "README.md states the conversation's length")
	n, _ = strconv.Atoi(m[1])
	assert.Equal(t, config.Default().ConversationTurns, n, "README.md's conversation length is ACCEPTANCE_CONVERSATION_TURNS's default")
}

// tableCells is the first cell of every row of the README's test table
// (the rows that start with a test name).
func tableCells(md string) string {
	var out []string
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "| `Test") {
			cell, _, _ := strings.Cut(strings.TrimPrefix(l, "| "), " | ")
			out = append(out, cell)
		}
	}
	return strings.Join(out, "\n")
}
