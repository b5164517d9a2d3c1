package sidecar

// Energy is the local GPUs' energy over one window (a load run, a
// capacity step), and what it bought: joules per output token and per good
// token (tokens of requests within the SLOs). Without NVML (the suite on
// another machine than the server, a build without cgo) Available is false
// and every energy figure is absent: unknown, never zero.
type Energy struct {
	Available bool   `json:"available"`
	Note      string `json:"note,omitempty"`
	// Source is "nvml_energy_counter" (NVML's total-energy counter at both
	// ends of the window) or "power_integration" (power samples integrated,
	// on cards without the counter).
	Source  string  `json:"source,omitempty"`
	GPUs    int     `json:"gpus,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Samples int     `json:"samples,omitempty"`
	// Joules over all GPUs; IntegratedJoules the power samples integrated,
	// beside the counter (their agreement checks both).
	Joules           *float64 `json:"joules,omitempty"`
	IntegratedJoules *float64 `json:"integrated_joules,omitempty"`
	// AvgPowerW is Joules / Seconds; PeakPowerW the largest sample of all
	// GPUs' power together.
	AvgPowerW  *float64 `json:"avg_power_w,omitempty"`
	PeakPowerW *float64 `json:"peak_power_w,omitempty"`
	// OutputTokens and GoodTokens are the window's completion tokens, all
	// and those of requests within the SLOs.
	OutputTokens    int64    `json:"output_tokens"`
	GoodTokens      int64    `json:"good_tokens"`
	GoodRequests    int      `json:"good_requests,omitempty"`
	JPerOutputToken *float64 `json:"j_per_output_token,omitempty"`
	JPerGoodToken   *float64 `json:"j_per_good_token,omitempty"`
}
