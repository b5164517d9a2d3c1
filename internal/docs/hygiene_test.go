package docs

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxTrackedBytes is the largest file the repository may carry outside
// largeAllowed: anything bigger is build output or data that belongs
// elsewhere (issue 26: a 47 MB CLI binary was committed once).
const maxTrackedBytes = 1 << 20

// largeAllowed are the folders whose files may be larger: recorded traces.
var largeAllowed = []string{"traces/"}

// oversize are the files of tracked (paths relative to the repository
// root) larger than limit and outside allowed, each with its size.
func oversize(tracked []string, size func(string) (int64, error), limit int64, allowed []string) []string {
	var out []string
	for _, p := range tracked {
		if slices.ContainsFunc(allowed, func(a string) bool { return strings.HasPrefix(p, a) }) {
			continue
		}
		n, err := size(p)
		if err != nil {
			continue // deleted in the work tree, not yet committed
		}
		if n > limit {
			out = append(out, fmt.Sprintf("%s (%d bytes)", p, n))
		}
	}
	return out
}

// gitFiles lists the files git tracks, or skips the test (with the reason)
// where there is no git or no checkout.
func gitFiles(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		t.Skipf("not run: git ls-files failed (%v): no git on PATH or not a checkout", err)
	}
	var files []string
	for _, f := range bytes.Split(out, []byte{0}) {
		if len(f) > 0 {
			files = append(files, string(f))
		}
	}
	return files
}

func TestOversize(t *testing.T) {
	sizes := map[string]int64{"a.go": 10, "bin/tool": 5 << 20, "traces/big.jsonl": 9 << 20, "gone": -1}
	size := func(p string) (int64, error) {
		if sizes[p] < 0 {
			return 0, os.ErrNotExist
		}
		return sizes[p], nil
	}
	got := oversize([]string{"a.go", "bin/tool", "traces/big.jsonl", "gone"}, size, maxTrackedBytes, largeAllowed)
	assert.Equal(t, []string{"bin/tool (5242880 bytes)"}, got)
}

// TestNoLargeTrackedFile: the repository carries no build output: no
// tracked file over 1 MiB outside largeAllowed.
func TestNoLargeTrackedFile(t *testing.T) {
	files := gitFiles(t)
	require.NotEmpty(t, files)
	size := func(p string) (int64, error) {
		fi, err := os.Stat(filepath.Join(root, p))
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
	assert.Empty(t, oversize(files, size, maxTrackedBytes, largeAllowed),
		"tracked files over %d bytes outside %v: build output or data; remove them (git rm --cached) and ignore them in .gitignore", maxTrackedBytes, largeAllowed)
}

// TestBuiltBinariesAreIgnored: the binary `go build` writes for each
// command of the module (named after its folder, in that folder) is
// ignored, and the folder itself is not.
func TestBuiltBinariesAreIgnored(t *testing.T) {
	files := gitFiles(t)
	var mains []string
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") || strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "tools/") {
			continue // tools/ are modules of their own, with their bin/ ignored
		}
		src, err := os.ReadFile(filepath.Join(root, f))
		if err != nil || !bytes.Contains(src, []byte("\npackage main\n")) && !bytes.HasPrefix(src, []byte("package main\n")) {
			continue
		}
		if dir := path.Dir(f); dir != "." && !slices.Contains(mains, dir) {
			mains = append(mains, dir)
		}
	}
	require.Contains(t, mains, "cmd/vllm-acceptance", "the scan finds the CLI")
	for _, dir := range mains {
		bin := dir + "/" + path.Base(dir)
		for _, p := range []string{bin, path.Base(dir)} {
			err := exec.Command("git", "-C", root, "check-ignore", "-q", "--no-index", p).Run()
			assert.NoError(t, err, "%s (go build's output) is not ignored: add %q and %q to .gitignore", p, path.Base(dir), "!"+path.Base(dir)+"/")
		}
		err := exec.Command("git", "-C", root, "check-ignore", "-q", "--no-index", dir+"/main.go").Run()
		assert.Error(t, err, "%s's own files must not be ignored", dir)
	}
}

// TestMakeTargetsHaveRules: every target the Makefile declares .PHONY has a
// rule, and `make help` lists every rule that is not internal (issue 26:
// make report and make interop were declared with no rule, printed
// "Nothing to be done" and exited 0).
func TestMakeTargetsHaveRules(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(root, "Makefile"))
	require.NoError(t, err)
	text := string(src)
	phony := regexp.MustCompile(`(?m)^\.PHONY:(.*)$`).FindStringSubmatch(text)
	require.NotNil(t, phony, "the Makefile declares its .PHONY targets")
	rules := map[string]bool{}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z0-9-]+):(.*)$`).FindAllStringSubmatch(text, -1) {
		if strings.HasPrefix(m[2], "=") {
			continue // name := value
		}
		rules[m[1]] = true
		documented[m[1]] = strings.Contains(m[2], "## ")
	}
	for _, name := range strings.Fields(phony[1]) {
		assert.True(t, rules[name], "make %s is declared .PHONY but has no rule: add one or drop it", name)
	}
	for name, doc := range documented {
		if name != "acceptance-once" {
			assert.True(t, doc, "make %s has no \"## what it does\" for make help", name)
		}
	}
	assert.GreaterOrEqual(t, len(rules), 10, "the scan read the rules")
}
