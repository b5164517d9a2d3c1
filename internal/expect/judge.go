package expect

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Fact is what the server exposes of one key: its value as the server
// wrote it, or Known false with Note saying why it is not known. Source
// names where it was read (the endpoint, series or probe).
type Fact struct {
	Value  string
	Known  bool
	Source string
	Note   string
}

// Facts are the server's facts by key (Keys).
type Facts map[string]Fact

// Sources of the facts, as the table names them. The vLLM code that
// exposes each is cited in docs/expected-config.md.
const (
	SourceModels  = "GET /v1/models"
	SourceVersion = "GET /version"
	SourceCache   = "vllm:cache_config_info"
	SourceTP      = "vllm:parallel_config_info"
	SourceTool    = "probe: tool_choice auto"
	SourceReason  = "probe: enable_thinking"
	SourceNVML    = "NVML (local GPUs)"
)

// Judge checks each declared key against its fact: a row per declared
// key, in Keys order. A fact that is not known makes its row unknown,
// never failed.
func Judge(d Declared, f Facts, file, sha string) *sidecar.ExpectedConfig {
	e := &sidecar.ExpectedConfig{File: file, SHA256: sha}
	add := func(key, expected string, match func(found string) (bool, string)) {
		fact := f[key]
		row := sidecar.ExpectedRow{Key: key, Expected: expected, Found: fact.Value, Source: fact.Source}
		switch {
		case !fact.Known:
			row.Outcome, row.Note = sidecar.Unknown, fact.Note
			if row.Note == "" {
				row.Note = "not exposed by the server"
			}
		default:
			ok, note := match(fact.Value)
			row.Outcome, row.Note = sidecar.Fail, note
			if ok {
				row.Outcome = sidecar.Pass
			}
		}
		e.Rows = append(e.Rows, row)
	}
	str := func(key string, v *string) {
		if v != nil {
			add(key, *v, func(found string) (bool, string) { return found == *v, "" })
		}
	}
	integer := func(key string, v *int) {
		if v != nil {
			add(key, strconv.Itoa(*v), func(found string) (bool, string) {
				n, err := strconv.Atoi(strings.TrimSpace(found))
				if err != nil {
					return false, "found value is not an integer"
				}
				return n == *v, ""
			})
		}
	}
	boolean := func(key string, v *bool) {
		if v != nil {
			add(key, strconv.FormatBool(*v), func(found string) (bool, string) {
				b, err := strconv.ParseBool(strings.ToLower(strings.TrimSpace(found)))
				if err != nil {
					return false, "found value is not true or false"
				}
				return b == *v, ""
			})
		}
	}
	str("model", d.Model)
	str("root", d.Root)
	integer("max_model_len", d.MaxModelLen)
	if d.VLLMVersion != nil {
		add("vllm_version", *d.VLLMVersion, func(found string) (bool, string) { return versionMatches(*d.VLLMVersion, found) })
	}
	integer("block_size", d.BlockSize)
	str("cache_dtype", d.CacheDtype)
	boolean("enable_prefix_caching", d.EnablePrefixCaching)
	if v := d.GPUMemoryUtilization; v != nil {
		add("gpu_memory_utilization", num(*v), func(found string) (bool, string) {
			x, err := strconv.ParseFloat(strings.TrimSpace(found), 64)
			if err != nil {
				return false, "found value is not a number"
			}
			return abs(x-*v) < 1e-9, ""
		})
	}
	if r := d.NumGPUBlocks; r != nil {
		add("num_gpu_blocks", r.String(), func(found string) (bool, string) {
			x, err := strconv.ParseFloat(strings.TrimSpace(found), 64)
			if err != nil {
				return false, "found value is not a number"
			}
			return (r.Min == nil || x >= *r.Min) && (r.Max == nil || x <= *r.Max), ""
		})
	}
	integer("tensor_parallel_size", d.TensorParallelSize)
	boolean("auto_tool_choice", d.AutoToolChoice)
	boolean("reasoning_parser", d.ReasoningParser)
	if g := d.GPU; g != nil {
		str("gpu.name", g.Name)
		integer("gpu.count", g.Count)
	}
	return e
}

// versionMatches compares /version's version with the declaration: exact
// (the same dotted numbers, a leading v and a local "+cu128" part ignored)
// or a minimum (">=0.10.2").
func versionMatches(spec, found string) (bool, string) {
	minimum, want, _ := parseVersionSpec(spec)
	got, err := parseVersion(found)
	if err != nil {
		return false, fmt.Sprintf("found version %q is not a vLLM release number", found)
	}
	c := compareVersions(got, want)
	if minimum {
		return c >= 0, ""
	}
	return c == 0, ""
}

func parseVersionSpec(spec string) (minimum bool, v []int, err error) {
	s := strings.TrimSpace(spec)
	if rest, ok := strings.CutPrefix(s, ">="); ok {
		minimum, s = true, strings.TrimSpace(rest)
	}
	v, err = parseVersion(s)
	if err != nil {
		return false, nil, fmt.Errorf("%q is not a version (examples: \"0.11.0\", \">=0.10.2\")", spec)
	}
	return minimum, v, nil
}

// parseVersion reads "0.10.2", "v0.11.0", "0.10.1.dev12+gabc.cu128": the
// leading dotted numbers.
func parseVersion(s string) ([]int, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	s, _, _ = strings.Cut(s, "+")
	var out []int
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			break
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no version number in %q", s)
	}
	return out, nil
}

func compareVersions(a, b []int) int {
	for i := range max(len(a), len(b)) {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// Mismatches is the failed rows as one line: "key: expected X, found Y;
// ...".
func Mismatches(e *sidecar.ExpectedConfig) string {
	var parts []string
	for _, r := range e.Rows {
		if r.Outcome == sidecar.Fail {
			parts = append(parts, fmt.Sprintf("%s: expected %s, found %s (%s)", r.Key, r.Expected, r.Found, r.Source))
		}
	}
	return strings.Join(parts, "; ")
}

// Table is the rows as a fixed-width text table (the log and the failure
// message print it).
func Table(e *sidecar.ExpectedConfig) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-24s %-24s %-24s %-8s %s\n", "key", "expected", "found", "outcome", "source / note")
	for _, r := range e.Rows {
		found := r.Found
		if r.Outcome == sidecar.Unknown && found == "" {
			found = "(not exposed)"
		}
		src := r.Source
		if r.Note != "" {
			src += " — " + r.Note
		}
		fmt.Fprintf(&b, "%-24s %-24s %-24s %-8s %s\n", r.Key, r.Expected, found, r.Outcome, src)
	}
	return b.String()
}
