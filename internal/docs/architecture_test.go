package docs

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const module = "github.com/vllm-acceptance/vllm-acceptance/"

// layers reads the package table of docs/ARCHITECTURE.md: package name →
// layer ("top" is above every numbered layer).
func layers(t *testing.T) map[string]int {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ARCHITECTURE.md"))
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| (top|\\d+)[^|]* \\| ([^|]+) \\|")
	name := regexp.MustCompile("`([a-z/-]+)`")
	out := map[string]int{}
	for _, m := range row.FindAllStringSubmatch(string(doc), -1) {
		layer := 1000
		if m[1] != "top" {
			layer, _ = strconv.Atoi(m[1])
		}
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			out[strings.TrimPrefix(n[1], "internal/")] = layer
		}
	}
	require.NotEmpty(t, out, "docs/ARCHITECTURE.md has no package table")
	return out
}

// internalImports are the module's internal packages that a package's
// non-test files import (under any build tag).
func internalImports(t *testing.T, dir string) []string {
	t.Helper()
	seen := map[string]bool{}
	var out []string
	for _, af := range parseNonTest(t, dir, parser.ImportsOnly) {
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if rest, ok := strings.CutPrefix(p, module+"internal/"); ok && !seen[rest] {
				seen[rest] = true
				out = append(out, rest)
			}
		}
	}
	return out
}

// parseNonTest parses the non-test Go files of the package in dir.
func parseNonTest(t *testing.T, dir string, mode parser.Mode) []*ast.File {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []*ast.File
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, mode)
		require.NoError(t, err)
		out = append(out, af)
	}
	return out
}

// TestArchitectureLayers holds docs/ARCHITECTURE.md's package table to the
// code and enforces its rule: every internal package is in the table, and a
// package imports only packages of lower layers (not its own layer, not a
// higher one), so the layers are a strict order and no cycle can form
// between packages of one floor.
func TestArchitectureLayers(t *testing.T) {
	ls := layers(t)
	require.Less(t, ls["record"], ls["suite"], "the table parses: a leaf sits below the run")
	assertMayImportColumn(t)
	dirs, err := os.ReadDir("..")
	require.NoError(t, err)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		pkg := d.Name()
		if gos, _ := filepath.Glob(filepath.Join("..", pkg, "*.go")); len(gos) == 0 {
			continue
		}
		layer, ok := ls[pkg]
		if !assert.True(t, ok, "internal/%s is not in docs/ARCHITECTURE.md's package table: add it to its layer", pkg) {
			continue
		}
		for _, imp := range internalImports(t, filepath.Join("..", pkg)) {
			il, known := ls[imp]
			assert.True(t, known, "internal/%s imports internal/%s, which docs/ARCHITECTURE.md does not place", pkg, imp)
			assert.Less(t, il, layer, "internal/%s (layer %d) imports internal/%s (layer %d): a package imports only lower layers; move the code it needs down, or the package up in docs/ARCHITECTURE.md", pkg, layer, imp, il)
		}
	}
}

// TestArchitectureImportLists holds the import lists in the package table
// ("`report` (diagnosis, record, sidecar, stats)") to the code: a list names
// exactly the internal packages its package (or group, "`gpu` and `scrape`")
// imports. A parenthesis that is a description ("(the capacity search)")
// is not a list.
func TestArchitectureImportLists(t *testing.T) {
	ls := layers(t)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ARCHITECTURE.md"))
	require.NoError(t, err)
	entry := regexp.MustCompile("((?:`[a-z]+`(?: and )?)+) \\(([^)]*)\\)")
	name := regexp.MustCompile("`([a-z]+)`")
	checked := 0
	for _, line := range strings.Split(string(doc), "\n") {
		if !regexp.MustCompile(`^\| \d+,`).MatchString(line) {
			continue
		}
		for _, m := range entry.FindAllStringSubmatch(line, -1) {
			listed := map[string]bool{}
			isList := true
			for _, p := range strings.Split(m[2], ",") {
				p = strings.TrimSpace(p)
				if _, ok := ls[p]; !ok {
					isList = false
					break
				}
				listed[p] = true
			}
			if !isList {
				continue
			}
			real := map[string]bool{}
			var pkgs []string
			for _, n := range name.FindAllStringSubmatch(m[1], -1) {
				pkgs = append(pkgs, n[1])
				for _, imp := range internalImports(t, filepath.Join("..", n[1])) {
					real[imp] = true
				}
			}
			assert.Equal(t, real, listed, "docs/ARCHITECTURE.md lists the imports of %v as (%s); the code imports the keys on the left", pkgs, m[2])
			checked++
		}
	}
	assert.Greater(t, checked, 5, "the table's import lists were found")
}

// assertMayImportColumn holds the table's "may import" column to the rule:
// layer n may import "layers 0–(n-1)" ("layer 0" for layer 1, "nothing"
// for the leaves).
func assertMayImportColumn(t *testing.T) {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ARCHITECTURE.md"))
	require.NoError(t, err)
	row := regexp.MustCompile("(?m)^\\| (\\d+)[^|]* \\| [^|]+ \\| ([^|]+) \\|")
	rows := row.FindAllStringSubmatch(string(doc), -1)
	require.NotEmpty(t, rows)
	for _, m := range rows {
		n, _ := strconv.Atoi(m[1])
		want := fmt.Sprintf("layers 0–%d", n-1)
		switch n {
		case 0:
			want = "nothing"
		case 1:
			want = "layer 0"
		}
		assert.Equal(t, want, strings.TrimSpace(m[2]), "docs/ARCHITECTURE.md: layer %d may import only the layers below it", n)
	}
}

// TestRunnersAreMapped holds the "runs it" column of docs/ARCHITECTURE.md's
// area table to the code: every runner of suite.Run (a field whose type is
// a suite type embedding *Run) is named in the table as `suite.<Type>`,
// and every `suite.<Type>` the column names is such a runner, so a
// newcomer who starts from an area finds the type that runs it, and a new
// area cannot be added without its row.
func TestRunnersAreMapped(t *testing.T) {
	files := parseNonTest(t, filepath.Join("..", "suite"), parser.SkipObjectResolution)
	embedsRun := map[string]bool{} // suite types with an embedded *Run
	var runFields []string         // Run's fields typed *T
	for _, af := range files {
		ast.Inspect(af, func(n ast.Node) bool {
			ts, ok := n.(*ast.TypeSpec)
			if !ok {
				return true
			}
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				return false
			}
			for _, fl := range st.Fields.List {
				star, ok := fl.Type.(*ast.StarExpr)
				if !ok {
					continue
				}
				id, ok := star.X.(*ast.Ident)
				if !ok {
					continue
				}
				if len(fl.Names) == 0 && id.Name == "Run" {
					embedsRun[ts.Name.Name] = true
				}
				if ts.Name.Name == "Run" && len(fl.Names) == 1 && fl.Names[0].Name == id.Name {
					runFields = append(runFields, id.Name)
				}
			}
			return false
		})
	}
	var runners []string
	for _, f := range runFields {
		if embedsRun[f] {
			runners = append(runners, f)
		}
	}
	require.GreaterOrEqual(t, len(runners), 7, "suite.Run has a runner per area (found %v)", runners)

	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ARCHITECTURE.md"))
	require.NoError(t, err)
	text := string(doc)
	start := strings.Index(text, "| area | runs it |")
	require.NotEqual(t, -1, start, "docs/ARCHITECTURE.md has the area table")
	end := strings.Index(text[start:], "\n\n")
	require.NotEqual(t, -1, end)
	named := map[string]bool{}
	for _, line := range strings.Split(text[start:start+end], "\n")[2:] {
		cells := strings.Split(line, "|")
		require.Greater(t, len(cells), 3, "row %q has its columns", line)
		for _, m := range regexp.MustCompile("`suite\\.([A-Z][A-Za-z]*)`").FindAllStringSubmatch(cells[2], -1) {
			named[m[1]] = true
			assert.True(t, embedsRun[m[1]], "docs/ARCHITECTURE.md's area table names `suite.%s` as a runner, but it is not a suite type embedding *Run", m[1])
		}
	}
	for _, r := range runners {
		assert.True(t, named[r], "suite.Run's runner %s is not in docs/ARCHITECTURE.md's area table: add the area's row", r)
	}
}
