package docs

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

// root is the repository root, seen from this package's directory.
var root = filepath.Join("..", "..")

// readmeMaxLines keeps the README an operator's page: what it is, the two
// commands, running it, reading a failure, the promotion gate, CI. The
// reference, the methods and the maintainers' pages live in docs/.
const readmeMaxLines = 250

// pendingLinks are pages another branch is adding; a link to one is not
// broken while it lands. Remove an entry once the page is on main.
var pendingLinks = map[string]string{}

// TestReadmeShape: the README stays under readmeMaxLines and opens with the
// two commands, `make demo` and `make test` (CI's .ci/run runs the latter).
func TestReadmeShape(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	assert.Less(t, len(lines), readmeMaxLines, "README.md has %d lines: move reference or method detail into docs/ and link to it", len(lines))

	// The first thing under the title is a code block holding the two
	// commands, each at the start of a line.
	var first []string
	in := false
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "```") {
			if in {
				break
			}
			in = true
			continue
		}
		if in {
			first = append(first, l)
		} else if strings.TrimSpace(l) != "" {
			break // prose before the commands
		}
	}
	require.True(t, strings.HasPrefix(lines[0], "# "), "README.md starts with its title")
	require.NotEmpty(t, first, "README.md: the first thing under the title must be a code block with `make demo` and `make test`")
	assert.True(t, strings.HasPrefix(first[0], "make demo"), "README.md's first command is `make demo`, got %q", first[0])
	require.GreaterOrEqual(t, len(first), 2)
	assert.True(t, strings.HasPrefix(first[1], "make test"), "README.md's second command is `make test`, got %q", first[1])

	ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	require.NoError(t, err)
	assert.Contains(t, string(ci), "\nmake test\n", ".ci/run runs README's test command")
}

// TestDocLinks: every relative link in README.md, CHANGELOG.md and
// docs/*.md points at a file that exists, and a #fragment into a Markdown
// file at one of its headings (GitHub's anchors).
func TestDocLinks(t *testing.T) {
	pages, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	pages = append(pages, filepath.Join(root, "README.md"), filepath.Join(root, "CHANGELOG.md"))
	checked := 0
	for _, page := range pages {
		b, err := os.ReadFile(page)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, page)
		for _, target := range links(string(b)) {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			checked++
			file, frag, _ := strings.Cut(target, "#")
			path := page // "#anchor" is into the page itself
			if file != "" {
				path = filepath.Join(filepath.Dir(page), filepath.FromSlash(file))
			}
			repoPath, _ := filepath.Rel(root, path)
			repoPath = filepath.ToSlash(repoPath)
			if _, err := os.Stat(path); err != nil {
				if why, ok := pendingLinks[repoPath]; ok {
					t.Logf("%s links to %s, pending: %s", rel, repoPath, why)
					continue
				}
				t.Errorf("%s: link %q: %s does not exist", rel, target, repoPath)
				continue
			}
			if frag == "" || !strings.HasSuffix(path, ".md") {
				continue
			}
			doc, err := os.ReadFile(path)
			require.NoError(t, err)
			if !anchors(string(doc))[frag] {
				t.Errorf("%s: link %q: %s has no heading with anchor #%s", rel, target, repoPath, frag)
			}
		}
	}
	assert.Greater(t, checked, 20, "the link pattern finds the documents' links")
}

var (
	linkRE       = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
	codeSpanRE   = regexp.MustCompile("`[^`\n]*`")
	headingRE    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	notInAnchorR = regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
)

// prose is a Markdown text without its fenced code blocks, one string per
// line.
func prose(md string) []string {
	var out []string
	fence := ""
	for _, l := range strings.Split(md, "\n") {
		t := strings.TrimSpace(l)
		if fence != "" {
			if strings.HasPrefix(t, fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fence = t[:3]
			continue
		}
		out = append(out, l)
	}
	return out
}

// links are the targets of a Markdown text's inline links, outside code.
func links(md string) []string {
	var out []string
	for _, l := range prose(md) {
		for _, m := range linkRE.FindAllStringSubmatch(codeSpanRE.ReplaceAllString(l, ""), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// anchors are the fragment ids GitHub gives a Markdown text's headings:
// lower case, punctuation dropped, spaces as hyphens, a repeated one
// suffixed -1, -2, ...
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	for _, l := range prose(md) {
		m := headingRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		a := strings.ToLower(notInAnchorR.ReplaceAllString(m[1], ""))
		a = strings.ReplaceAll(a, " ", "-")
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

func TestAnchors(t *testing.T) {
	got := anchors("# Title\n## `TestStability/alternating`\n## How to add …\n## GPU and vLLM `/metrics`\n```\n# not a heading\n```\n## Title\n")
	for _, want := range []string{"title", "teststabilityalternating", "how-to-add-", "gpu-and-vllm-metrics", "title-1"} {
		assert.True(t, got[want], "anchor %q in %v", want, got)
	}
	assert.False(t, got["not-a-heading"], "a comment in a code block is not a heading")
	assert.Equal(t, []string{"a.md#x", "b.md"}, links("see [a](a.md#x) and [b](b.md \"title\"), not `[c](c.md)`\n```\n[d](d.md)\n```\n"))
}

// repoPathRE is a code span that names a file or folder of the repository
// ("`internal/suite/runs.go`", "`tolerances/default.yaml`").
var repoPathRE = regexp.MustCompile("`((?:internal|cmd|acceptance|scripts|deploy|settings|tolerances|fixtures|tools|docs|bench|\\.github|\\.ci)/[A-Za-z0-9_./-]*)`")

// currentPages are the pages that describe the code as it is now,
// docs/*.md and README.md, by repository path (CHANGELOG.md is history:
// it names old paths and symbols on purpose).
func currentPages(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	out := map[string]string{}
	for _, f := range append(files, filepath.Join(root, "README.md")) {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, f)
		out[filepath.ToSlash(rel)] = string(b)
	}
	return out
}

// symbolRE is where a Go symbol follows a package path ("record.Record").
var symbolRE = regexp.MustCompile(`\.[A-Z][A-Za-z0-9_.]*$`)

// TestDocPaths: every repository path a page names in a code span exists,
// so a rename cannot leave the docs pointing at a file that is gone.
// CHANGELOG.md is left out: it names old paths on purpose.
func TestDocPaths(t *testing.T) {
	checked := 0
	for rel, text := range currentPages(t) {
		for _, m := range repoPathRE.FindAllStringSubmatch(text, -1) {
			p := strings.TrimRight(m[1], ".")
			if i := symbolRE.FindStringIndex(p); i != nil {
				p = p[:i[0]] // internal/record.Record: the package
			}
			if strings.ContainsAny(p, "*<") {
				continue // a pattern, not a path
			}
			checked++
			_, err := os.Stat(filepath.Join(root, filepath.FromSlash(p)))
			assert.NoError(t, err, "%s names `%s`, which is not in the repository: update the page", rel, m[1])
		}
	}
	assert.Greater(t, checked, 20, "the pages name repository paths")
}
