// Package expect is the expected configuration (ACCEPTANCE_EXPECT_CONFIG):
// the YAML file of what the candidate declares, the facts the server
// exposes, and the judgement of one against the other, as rows of
// expected against found. A fact the server does not expose is unknown,
// never failed. The facts are gathered by the suite (internal/suite,
// expect.go); this package only parses and judges, as pure functions.
package expect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/vllm-acceptance/vllm-acceptance/internal/checkname"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Declared is the file's content. Every key is optional; nil is "not
// declared" and is not checked. The keys are fixed by the public contract
// (../shared/CONTRACT.md); root and tensor_parallel_size are additions.
type Declared struct {
	// Model is the served model id (/v1/models "id"), Root the path or
	// repository it was loaded from (/v1/models "root").
	Model *string `yaml:"model"`
	Root  *string `yaml:"root"`
	// MaxModelLen is /v1/models "max_model_len".
	MaxModelLen *int `yaml:"max_model_len"`
	// VLLMVersion is /version: exact ("0.11.0") or a minimum (">=0.10.2").
	VLLMVersion *string `yaml:"vllm_version"`
	// The vllm:cache_config_info labels.
	BlockSize            *int     `yaml:"block_size"`
	CacheDtype           *string  `yaml:"cache_dtype"`
	EnablePrefixCaching  *bool    `yaml:"enable_prefix_caching"`
	GPUMemoryUtilization *float64 `yaml:"gpu_memory_utilization"`
	NumGPUBlocks         *Range   `yaml:"num_gpu_blocks"`
	// TensorParallelSize is --tensor-parallel-size, read from a
	// parallel_config_info gauge where vLLM publishes one.
	TensorParallelSize *int `yaml:"tensor_parallel_size"`
	// AutoToolChoice and ReasoningParser are behaviour probes.
	AutoToolChoice  *bool `yaml:"auto_tool_choice"`
	ReasoningParser *bool `yaml:"reasoning_parser"`
	// GPU is the GPU model and count seen through NVML.
	GPU *GPU `yaml:"gpu"`
}

// GPU is the gpu key: {name, count}.
type GPU struct {
	Name  *string `yaml:"name"`
	Count *int    `yaml:"count"`
}

// Range is a number, or {min, max} with either bound optional.
type Range struct {
	Min *float64 `yaml:"min"`
	Max *float64 `yaml:"max"`
}

// UnmarshalYAML takes a scalar (exact) or a {min, max} mapping.
func (r *Range) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var v float64
		if err := n.Decode(&v); err != nil {
			return fmt.Errorf("line %d: want a number or {min: N, max: M}", n.Line)
		}
		r.Min, r.Max = &v, &v
		return nil
	}
	type plain Range
	var p plain
	if err := n.Decode(&p); err != nil {
		return fmt.Errorf("line %d: want a number or {min: N, max: M}", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "min" && k != "max" {
			return fmt.Errorf("line %d: unknown key %q in a range; known: min, max", n.Content[i].Line, k)
		}
	}
	if p.Min == nil && p.Max == nil {
		return fmt.Errorf("line %d: a range needs min or max", n.Line)
	}
	*r = Range(p)
	return nil
}

// String is the range as the table shows it.
func (r Range) String() string {
	switch {
	case r.Min != nil && r.Max != nil && *r.Min == *r.Max:
		return num(*r.Min)
	case r.Min != nil && r.Max != nil:
		return num(*r.Min) + "–" + num(*r.Max)
	case r.Min != nil:
		return "≥ " + num(*r.Min)
	case r.Max != nil:
		return "≤ " + num(*r.Max)
	}
	return ""
}

// Keys are the file's keys, in the order the table shows them.
// The table of check names owns the list (checkname.ExpectedConfigKeys),
// so ACCEPTANCE_FAIL_UNKNOWN may name each as "expected_config.<key>".
var Keys = checkname.ExpectedConfigKeys

// Parse reads a file's bytes. An unknown key, a wrong type or an empty
// file is an error of one line naming what is wrong.
func Parse(b []byte) (Declared, error) {
	var d Declared
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&d); err != nil {
		if errors.Is(err, io.EOF) {
			return d, errors.New("the file is empty; declare at least one key (" + strings.Join(topKeys(), ", ") + ")")
		}
		return d, errors.New(strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", "; ") +
			" (known keys: " + strings.Join(topKeys(), ", ") + ")")
	}
	if d.VLLMVersion != nil {
		if _, _, err := parseVersionSpec(*d.VLLMVersion); err != nil {
			return d, fmt.Errorf("vllm_version: %w", err)
		}
	}
	if d.GPUMemoryUtilization != nil && (*d.GPUMemoryUtilization <= 0 || *d.GPUMemoryUtilization > 1) {
		return d, fmt.Errorf("gpu_memory_utilization: %v is not a fraction in (0, 1]", *d.GPUMemoryUtilization)
	}
	return d, nil
}

func topKeys() []string {
	var out []string
	for _, k := range Keys {
		if k == "gpu.name" {
			k = "gpu"
		} else if k == "gpu.count" {
			continue
		}
		out = append(out, k)
	}
	return out
}

// Load reads and parses the file at path, and returns the SHA-256 of its
// bytes (the run's provenance).
func Load(path string) (Declared, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if u := errors.Unwrap(err); u != nil {
			err = u
		}
		return Declared{}, "", fmt.Errorf("cannot read it: %w", err)
	}
	d, err := Parse(b)
	if err != nil {
		return d, "", err
	}
	sum := sha256.Sum256(b)
	return d, hex.EncodeToString(sum[:]), nil
}
