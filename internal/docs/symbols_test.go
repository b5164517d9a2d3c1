package docs

import (
	"go/ast"
	"go/parser"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
)

// symbolSpanRE is a Go symbol of one of the module's packages named in a
// code span: "`sidecar.ConcurrencyRun`", "`sidecar.Metrics.Passed`",
// "`internal/record.Record`".
var symbolSpanRE = regexp.MustCompile("`(?:internal/)?([a-z]+)\\.([A-Z][A-Za-z0-9]*)(?:\\.([A-Z][A-Za-z0-9]*))?")

// TestDocSymbols: every symbol of an internal package that a page names
// (a function, type, variable or constant, or a type's method or field)
// exists, so a renamed identifier cannot leave the docs behind.
func TestDocSymbols(t *testing.T) {
	cache := map[string]map[string]bool{}
	checked := 0
	for rel, text := range currentPages(t) {
		for _, m := range symbolSpanRE.FindAllStringSubmatch(text, -1) {
			pkg := m[1]
			if _, err := os.Stat(filepath.Join(root, "internal", pkg)); err != nil {
				continue // another module's package (option.WithMaxRetries)
			}
			names, ok := cache[pkg]
			if !ok {
				names = declared(t, filepath.Join(root, "internal", pkg))
				cache[pkg] = names
			}
			name := m[2]
			if m[3] != "" {
				name += "." + m[3]
			}
			checked++
			assert.True(t, names[name], "%s names `%s.%s`, which internal/%s does not declare: update the page", rel, pkg, name, pkg)
		}
	}
	assert.Greater(t, checked, 20, "the pages name the code's symbols")
}

// declared is every top-level name of the package in dir (non-test files),
// and "Type.Method" and "Type.Field" for its types.
func declared(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, af := range parseNonTest(t, dir, parser.SkipObjectResolution) {
		for _, d := range af.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					out[d.Name.Name] = true
					continue
				}
				recv := d.Recv.List[0].Type
				if s, ok := recv.(*ast.StarExpr); ok {
					recv = s.X
				}
				if ix, ok := recv.(*ast.IndexExpr); ok {
					recv = ix.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					out[id.Name+"."+d.Name.Name] = true
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						out[s.Name.Name] = true
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fl := range st.Fields.List {
								for _, n := range fl.Names {
									out[s.Name.Name+"."+n.Name] = true
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							out[n.Name] = true
						}
					}
				}
			}
		}
	}
	return out
}
