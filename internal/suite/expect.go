package suite

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/expect"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/gpu"
	"github.com/vllm-acceptance/vllm-acceptance/internal/scrape"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// ExpectedConfig checks the configuration the candidate declares
// (ACCEPTANCE_EXPECT_CONFIG) against what the server exposes, in the
// preflight before any load (TestExpectedConfig); internal/expect judges
// each row.
type ExpectedConfig struct {
	*Run
	declared *expect.Declared // nil when ACCEPTANCE_EXPECT_CONFIG is unset
	sha      string           // the file's SHA-256, recorded in the provenance
}

// load reads ACCEPTANCE_EXPECT_CONFIG at start, before the server
// is contacted: a malformed file or an unknown key is a configuration
// error of one line.
func (r *ExpectedConfig) load() error {
	if r.Cfg.ExpectConfig == "" {
		return nil
	}
	d, sha, err := expect.Load(config.FromRoot(r.Cfg.ExpectConfig))
	if err != nil {
		return fmt.Errorf("ACCEPTANCE_EXPECT_CONFIG=%s: %v", r.Cfg.ExpectConfig, err)
	}
	r.declared, r.sha = &d, sha
	return nil
}

// check gathers the facts the declaration names, judges them and
// records the section; a mismatch makes the run fatal before any load,
// with the table of expected against found in the log.
func (r *ExpectedConfig) check(ctx context.Context, srv client.Server) {
	if r.declared == nil {
		return
	}
	facts := r.facts(ctx, *r.declared, srv)
	e := expect.Judge(*r.declared, facts, r.Cfg.ExpectConfig, r.sha)
	r.Update(func(m *sidecar.Metrics) {
		m.ExpectedConfig = e
		if m.Provenance != nil {
			m.Provenance.ExpectConfigSHA256 = r.sha
		}
	})
	for _, line := range strings.Split(strings.TrimRight(expect.Table(e), "\n"), "\n") {
		r.logf("expected config: %s", line)
	}
	if passed, _ := r.Judge().Section(&sidecar.Metrics{ExpectedConfig: e}, sidecar.SectionExpectedConfig); !passed {
		r.fatal = fmt.Sprintf("expected config does not match the server (ACCEPTANCE_EXPECT_CONFIG=%s), checked before any load: %s → fix: deploy the declared configuration (or correct the file); the table is in the log and metrics.json expected_config",
			r.Cfg.ExpectConfig, expect.Mismatches(e))
	}
}

// Section is the expected-config section (nil without
// ACCEPTANCE_EXPECT_CONFIG).
func (r *ExpectedConfig) Section() *sidecar.ExpectedConfig {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.metrics.ExpectedConfig
}

// facts reads each declared fact from where vLLM exposes it
// (docs/expected-config.md cites the vLLM code of each): /v1/models and
// /version from the preflight, the vllm:cache_config_info labels from one
// read of /metrics, the parsers by behaviour probes, the GPUs by NVML.
// Only what the declaration names is read or probed.
func (r *ExpectedConfig) facts(ctx context.Context, d expect.Declared, srv client.Server) expect.Facts {
	f := expect.Facts{}
	known := func(key, v, src string) { f[key] = expect.Fact{Value: v, Known: true, Source: src} }
	unknown := func(key, src, note string) { f[key] = expect.Fact{Source: src, Note: note} }
	known("model", r.Cfg.Model, expect.SourceModels)
	if root, ok := srv.Roots[r.Cfg.Model]; ok {
		known("root", root, expect.SourceModels)
	} else {
		unknown("root", expect.SourceModels, "/v1/models lists no root for the model")
	}
	if n, ok := srv.MaxModelLen[r.Cfg.Model]; ok {
		known("max_model_len", strconv.Itoa(n), expect.SourceModels)
	} else {
		unknown("max_model_len", expect.SourceModels, "/v1/models lists no max_model_len for the model")
	}
	if srv.Version != "" {
		known("vllm_version", srv.Version, expect.SourceVersion)
	} else {
		unknown("vllm_version", expect.SourceVersion, "the server has no /version")
	}
	if d.BlockSize != nil || d.CacheDtype != nil || d.EnablePrefixCaching != nil || d.GPUMemoryUtilization != nil ||
		d.NumGPUBlocks != nil || d.TensorParallelSize != nil {
		r.infoFacts(ctx, f)
	}
	if d.AutoToolChoice != nil {
		f["auto_tool_choice"] = r.probeToolChoice(ctx)
	}
	if d.ReasoningParser != nil {
		f["reasoning_parser"] = r.probeReasoning(ctx)
	}
	if d.GPU != nil {
		devs, err := gpu.Inventory()
		switch {
		case err != nil:
			unknown("gpu.name", expect.SourceNVML, err.Error()+" (NVML sees only GPUs on the machine running the suite)")
			unknown("gpu.count", expect.SourceNVML, err.Error())
		case len(devs) == 0:
			unknown("gpu.name", expect.SourceNVML, "NVML lists no GPU here")
			known("gpu.count", "0", expect.SourceNVML)
		default:
			names := map[string]bool{}
			for _, dv := range devs {
				names[dv.Name] = true
			}
			if len(names) == 1 {
				known("gpu.name", devs[0].Name, expect.SourceNVML)
			} else {
				var all []string
				for _, dv := range devs {
					all = append(all, dv.Name)
				}
				known("gpu.name", strings.Join(all, ", "), expect.SourceNVML)
			}
			known("gpu.count", strconv.Itoa(len(devs)), expect.SourceNVML)
		}
	}
	return f
}

// infoFacts reads the cache_config_info labels (and a parallel_config_info
// where one is published) from one scrape of /metrics.
func (r *ExpectedConfig) infoFacts(ctx context.Context, f expect.Facts) {
	keys := map[string]string{
		"block_size": "cache_config_info.block_size", "cache_dtype": "cache_config_info.cache_dtype",
		"enable_prefix_caching": "cache_config_info.enable_prefix_caching", "gpu_memory_utilization": "cache_config_info.gpu_memory_utilization",
		"num_gpu_blocks": "cache_config_info.num_gpu_blocks", "tensor_parallel_size": "parallel_config_info.tensor_parallel_size",
	}
	snap, err := scrape.Config{Client: r.sideClient(), URL: scrape.MetricsURL(r.Cfg.BaseURL), APIKey: r.Cfg.APIKey}.Fetch(ctx)
	for key, label := range keys {
		src := expect.SourceCache
		if key == "tensor_parallel_size" {
			src = expect.SourceTP
		}
		switch v, ok := snap.Info[label]; {
		case err != nil:
			f[key] = expect.Fact{Source: src, Note: "/metrics not read: " + r.redactor.String(err.Error())}
		case ok && v != "" && v != "None":
			f[key] = expect.Fact{Value: v, Known: true, Source: src}
		case key == "tensor_parallel_size":
			f[key] = expect.Fact{Source: src, Note: "vLLM publishes no parallel_config_info (only cache_config_info; vllm/v1/metrics/loggers.py)"}
		default:
			f[key] = expect.Fact{Source: src, Note: "no " + label + " label on /metrics"}
		}
	}
}

// probeTool is the one tool the parser probes offer.
var probeTool = fixture.Tool{Type: "function", Function: fixture.Function{
	Name: "get_weather", Description: "Get the current weather in a city",
	Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}},
}}

// probeToolChoice sends one request with tools and tool_choice "auto":
// vLLM without --enable-auto-tool-choice answers HTTP 400 saying so
// (OpenAIServingChat.create_chat_completion in
// vllm/entrypoints/openai/serving_chat.py); any 2xx answer means auto
// tool choice is on.
func (r *ExpectedConfig) probeToolChoice(ctx context.Context) expect.Fact {
	off := false
	rec := r.Client.Chat(ctx, client.Request{Model: r.Cfg.Model, ToolChoice: "auto", Tools: []fixture.Tool{probeTool}, MaxTokens: 64,
		Messages: []fixture.Message{{Role: "user", Content: "What is the weather in Paris?"}}, Thinking: &off})
	f := expect.Fact{Source: expect.SourceTool}
	switch {
	case rec.OK():
		f.Value, f.Known = "true", true
	case rec.Status == http.StatusBadRequest && strings.Contains(rec.Body+rec.Error, "enable-auto-tool-choice"):
		f.Value, f.Known = "false", true
		f.Note = "HTTP 400: --enable-auto-tool-choice is off"
	default:
		f.Note = "the probe got no answer to judge: " + r.redactor.String(firstNonEmpty(rec.Error, fmt.Sprintf("HTTP %d", rec.Status)))
	}
	return f
}

// probeReasoning sends one request with enable_thinking on: a reasoning
// field in the answer (reasoning_content on vLLM 0.10, reasoning on 0.11)
// means a reasoning parser is on; <think> left in content means it is
// off. An answer with neither (a model that does not think) is unknown.
func (r *ExpectedConfig) probeReasoning(ctx context.Context) expect.Fact {
	on := true
	rec := r.Client.Chat(ctx, client.Request{Model: r.Cfg.Model, MaxTokens: 256, Thinking: &on,
		Messages: []fixture.Message{{Role: "user", Content: "Is 17 a prime number? Answer yes or no."}}})
	f := expect.Fact{Source: expect.SourceReason}
	switch {
	case !rec.OK():
		f.Note = "the probe got no answer to judge: " + r.redactor.String(firstNonEmpty(rec.Error, fmt.Sprintf("HTTP %d", rec.Status)))
	case rec.Reasoning != "":
		f.Value, f.Known = "true", true
	case strings.Contains(rec.Content, "<think>") || strings.Contains(rec.Content, "</think>"):
		f.Value, f.Known = "false", true
		f.Note = "<think> left in content"
	default:
		f.Note = "the answer had neither a reasoning field nor <think> in content (a model that does not think?)"
	}
	return f
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
