package gpu

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Bandwidth is one GPU model's peak memory bandwidth and where the figure
// comes from.
type Bandwidth struct {
	// Model is the name the table knows the GPU by.
	Model string
	// GBs is the peak memory bandwidth in GB/s (10^9 bytes per second).
	GBs    float64
	Source string
}

// bandwidthEntry matches an NVML name when every one of its keys is a
// substring of the normalised name; the first entry that matches wins, so
// a variant (H100 PCIe) comes before its family (H100).
type bandwidthEntry struct {
	keys []string
	bw   Bandwidth
}

// Sources: NVIDIA's data sheets and product pages (memory bandwidth row).
const (
	srcH100    = "NVIDIA H100 Tensor Core GPU datasheet: H100 SXM 3.35 TB/s, H100 PCIe 2 TB/s, H100 NVL 3.9 TB/s"
	srcH200    = "NVIDIA H200 Tensor Core GPU datasheet: H200 SXM and H200 NVL 4.8 TB/s"
	srcA100    = "NVIDIA A100 Tensor Core GPU datasheet: 40GB 1,555 GB/s; 80GB SXM 2,039 GB/s; 80GB PCIe 1,935 GB/s"
	srcL40S    = "NVIDIA L40S datasheet: 864 GB/s"
	srcL40     = "NVIDIA L40 datasheet: 864 GB/s"
	srcL4      = "NVIDIA L4 Tensor Core GPU datasheet: 300 GB/s"
	srcA10     = "NVIDIA A10 Tensor Core GPU datasheet: 600 GB/s (A10G, AWS's variant, the same)"
	src4090    = "NVIDIA GeForce RTX 4090 specifications: 24 GB GDDR6X, 384-bit at 21 Gbps = 1,008 GB/s"
	src3090    = "NVIDIA GeForce RTX 3090 specifications: 24 GB GDDR6X, 384-bit at 19.5 Gbps = 936 GB/s"
	src6000    = "NVIDIA RTX 6000 Ada Generation datasheet: 960 GB/s"
	srcA6000   = "NVIDIA RTX A6000 datasheet: 768 GB/s"
	srcB200    = "NVIDIA DGX B200 / HGX B200 specifications: 8 TB/s per GPU"
	srcV100    = "NVIDIA V100 Tensor Core GPU datasheet: 900 GB/s"
	srcT4      = "NVIDIA T4 datasheet: 320 GB/s"
	srcGH200   = "NVIDIA GH200 Grace Hopper Superchip datasheet: 96GB HBM3 4 TB/s, 144GB HBM3e 4.9 TB/s"
	srcRTX5090 = "NVIDIA GeForce RTX 5090 specifications: 32 GB GDDR7, 512-bit at 28 Gbps = 1,792 GB/s"
)

// bandwidths is keyed by the words of NVML's names (nvmlDeviceGetName), e.g.
// "NVIDIA H100 80GB HBM3" (SXM), "NVIDIA H100 PCIe", "NVIDIA H100 NVL",
// "NVIDIA H200", "NVIDIA A100-SXM4-80GB", "NVIDIA A100 80GB PCIe",
// "NVIDIA A100-PCIE-40GB", "NVIDIA L40S", "NVIDIA L4",
// "NVIDIA GeForce RTX 4090".
var bandwidths = []bandwidthEntry{
	{[]string{"gh200", "hbm3e"}, Bandwidth{"GH200 144GB HBM3e", 4900, srcGH200}},
	{[]string{"gh200"}, Bandwidth{"GH200 96GB", 4000, srcGH200}},
	{[]string{"h200"}, Bandwidth{"H200", 4800, srcH200}},
	{[]string{"h100", "pcie"}, Bandwidth{"H100 PCIe", 2000, srcH100}},
	{[]string{"h100", "nvl"}, Bandwidth{"H100 NVL", 3900, srcH100}},
	{[]string{"h100"}, Bandwidth{"H100 SXM", 3350, srcH100}},
	{[]string{"b200"}, Bandwidth{"B200", 8000, srcB200}},
	{[]string{"a100", "80gb", "pcie"}, Bandwidth{"A100 80GB PCIe", 1935, srcA100}},
	{[]string{"a100", "80gb"}, Bandwidth{"A100 80GB SXM", 2039, srcA100}},
	{[]string{"a100"}, Bandwidth{"A100 40GB", 1555, srcA100}},
	{[]string{"l40s"}, Bandwidth{"L40S", 864, srcL40S}},
	{[]string{"l40"}, Bandwidth{"L40", 864, srcL40}},
	{[]string{"l4"}, Bandwidth{"L4", 300, srcL4}},
	{[]string{"a10g"}, Bandwidth{"A10G", 600, srcA10}},
	{[]string{"a10"}, Bandwidth{"A10", 600, srcA10}},
	{[]string{"rtx", "5090"}, Bandwidth{"GeForce RTX 5090", 1792, srcRTX5090}},
	{[]string{"rtx", "4090"}, Bandwidth{"GeForce RTX 4090", 1008, src4090}},
	{[]string{"rtx", "3090"}, Bandwidth{"GeForce RTX 3090", 936, src3090}},
	{[]string{"rtx", "6000", "ada"}, Bandwidth{"RTX 6000 Ada", 960, src6000}},
	{[]string{"rtx", "a6000"}, Bandwidth{"RTX A6000", 768, srcA6000}},
	{[]string{"v100"}, Bandwidth{"V100", 900, srcV100}},
	{[]string{"t4"}, Bandwidth{"T4", 320, srcT4}},
}

var wordSplit = regexp.MustCompile(`[^a-z0-9]+`)

// LookupBandwidth finds the memory bandwidth of the GPU NVML names name,
// false for a GPU the table does not know.
func LookupBandwidth(name string) (Bandwidth, bool) {
	words := wordSplit.Split(strings.ToLower(name), -1)
	has := func(key string) bool {
		for _, w := range words {
			if w == key {
				return true
			}
		}
		return false
	}
	for _, e := range bandwidths {
		ok := true
		for _, k := range e.keys {
			ok = ok && has(k)
		}
		if ok {
			return e.bw, true
		}
	}
	return Bandwidth{}, false
}

var countPrefix = regexp.MustCompile(`^\s*(\d+)\s*[x×]\s*`)

// ParseGPUs reads "NVIDIA H200" or "2x NVIDIA H100 80GB HBM3" (tensor
// parallel over two GPUs): the name and the count (1 without a prefix).
func ParseGPUs(s string) (name string, count int) {
	if m := countPrefix.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil && n > 0 {
			return strings.TrimSpace(s[len(m[0]):]), n
		}
	}
	return strings.TrimSpace(s), 1
}

// RooflineSlack is how far above the bound a measured rate may sit before
// it is called impossible: peak bandwidth figures are rounded, and the
// bytes per step are an estimate.
const RooflineSlack = 0.05

// Roofline is the single-stream decode bound and how a measured rate
// compares with it.
type Roofline struct {
	Bandwidth Bandwidth
	GPUs      int
	// BoundTokensPerS = GPUs × bandwidth / modelBytes: each decode step
	// reads every weight once, so one stream cannot decode faster (tensor
	// parallelism splits the weights over the GPUs, which read in parallel).
	BoundTokensPerS float64
	Fraction        float64
	// Above: the measured rate passed the bound by more than RooflineSlack.
	Above bool
	// Below: the measured rate is under the minimum fraction of the bound
	// given to JudgeBelow.
	Below  bool
	Detail string
}

// BelowCauses names the usual causes of single-stream decode far below
// the roofline, each with how to check it.
const BelowCauses = "decode is far slower than the GPU's memory allows. Usual causes, with how to check each: " +
	"CUDA graphs off (vLLM started with --enforce-eager, or the batch size above --max-seq-len-to-capture / " +
	"cudagraph_capture_sizes: the server log says \"CUDA graphs\" at start; drop --enforce-eager); " +
	"quantisation without its fast kernels (an AWQ/GPTQ/FP8 model on a GPU or build without Marlin/Machete, " +
	"falling back to dequantise-then-matmul: the log names the kernel, e.g. \"Using MarlinLinearKernel\"); " +
	"weights or KV cache offloaded to CPU (--cpu-offload-gb, --kv-offloading, or a model too large for the GPU: " +
	"nvidia-smi shows low memory and PCIe traffic); " +
	"a launch- or CPU-bound engine (a slow host CPU, Python overhead, tokenisation or detokenisation in the hot loop, " +
	"another process on the GPU: nvidia-smi shows low utilisation, top shows the engine at 100 % of a core); " +
	"or a wrong ACCEPTANCE_MODEL_BYTES (the bytes of the weights, not the parameter count)"

// JudgeBelow sets Below when the measured fraction of the bound is under
// minFraction (0 leaves it unset) and adds the usual causes to Detail.
func (r *Roofline) JudgeBelow(minFraction float64) {
	if minFraction <= 0 || r.Above || r.BoundTokensPerS <= 0 || r.Fraction >= minFraction {
		return
	}
	r.Below = true
	r.Detail += fmt.Sprintf(": below %.0f %% of the bound (ACCEPTANCE_ROOFLINE_MIN_FRACTION): %s", 100*minFraction, BelowCauses)
}

// RooflineOf compares a measured single-stream decode rate (tokens/s)
// with the bound for gpus GPUs of bandwidth bw and modelBytes bytes read
// per decode step.
func RooflineOf(bw Bandwidth, gpus int, modelBytes, measured float64) Roofline {
	gpus = max(gpus, 1)
	r := Roofline{Bandwidth: bw, GPUs: gpus, BoundTokensPerS: float64(gpus) * bw.GBs * 1e9 / modelBytes}
	r.Fraction = measured / r.BoundTokensPerS
	on := bw.Model
	if gpus > 1 {
		on = fmt.Sprintf("%d× %s", gpus, bw.Model)
	}
	r.Detail = fmt.Sprintf("single-stream decode %.1f tok/s is %.0f %% of the roofline %.1f tok/s (%s, %.0f GB/s each, %.3g bytes per step)",
		measured, 100*r.Fraction, r.BoundTokensPerS, on, bw.GBs, modelBytes)
	if measured > r.BoundTokensPerS*(1+RooflineSlack) {
		r.Above = true
		r.Detail += ": above what the GPU's memory can feed. Suspect speculative decoding first (vLLM --speculative-config " +
			"accepts several tokens per weight read: then the figure is real and the bound does not apply); without it, " +
			"a measurement bug: TPOT from usage counts that include tokens not streamed, a proxy buffering chunks, " +
			"or a wrong ACCEPTANCE_MODEL_BYTES / ACCEPTANCE_GPU_NAME"
	}
	return r
}
