package compare

// Refusals and provenance: what each side is (Side), and why two sides
// cannot be compared fairly (Refusals).

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Side describes one side of a comparison: its runs and their provenance.
type Side struct {
	Runs          int               `json:"runs"`
	RunNames      []string          `json:"run_names"`
	Model         string            `json:"model"`
	Kind          string            `json:"kind"`
	BaseURL       string            `json:"base_url"`
	ServerVersion string            `json:"server_version,omitempty"`
	MaxModelLen   int               `json:"max_model_len,omitempty"`
	EngineConfig  map[string]string `json:"engine_config,omitempty"`
	Suite         string            `json:"suite,omitempty"`
	Fixtures      string            `json:"fixtures_sha256,omitempty"`
	Knobs         string            `json:"knobs_sha256,omitempty"`
	ExpectConfig  string            `json:"expect_config_sha256,omitempty"`
	StartedAt     string            `json:"started_at"`
	SchemaVersion int               `json:"schema_version"`
}

// sideOf describes runs (which the caller has checked agree).
func sideOf(runs []sidecar.Run) Side {
	s := Side{Runs: len(runs)}
	for _, r := range runs {
		s.RunNames = append(s.RunNames, r.Name)
	}
	if len(runs) == 0 {
		return s
	}
	m := runs[0].Metrics
	s.Model, s.Kind, s.BaseURL = m.Target.Model, m.Target.Kind, m.Target.BaseURL
	s.ServerVersion, s.SchemaVersion, s.Suite = m.Target.ServerVersion, m.SchemaVersion, m.Suite
	if p := m.Provenance; p != nil {
		s.MaxModelLen, s.EngineConfig, s.Fixtures, s.Knobs = p.MaxModelLen, p.EngineConfig, p.FixturesSHA256, p.KnobsSHA256
		s.ExpectConfig = p.ExpectConfigSHA256
		if p.ServerVersion != "" {
			s.ServerVersion = p.ServerVersion
		}
	}
	if !m.StartedAt.IsZero() {
		s.StartedAt = m.StartedAt.UTC().Format("2006-01-02T15:04:05Z07:00")
	}
	return s
}

// provenanceKeys are the fields compared within a side (all must agree)
// and, where across is set, between the sides.
var provenanceKeys = []struct {
	name   string
	across bool
	get    func(*sidecar.Metrics) string
}{
	{"model", true, func(m *sidecar.Metrics) string { return m.Target.Model }},
	{"target kind", true, func(m *sidecar.Metrics) string { return kindClass(m.Target.Kind) }},
	{"schema_version", true, func(m *sidecar.Metrics) string { return fmt.Sprint(m.SchemaVersion) }},
	{"suite version", true, func(m *sidecar.Metrics) string { return m.Suite }},
	{"fixtures (sha256)", true, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return p.FixturesSHA256 })
	}},
	{"knobs (sha256)", true, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return p.KnobsSHA256 })
	}},
	{"knob toolcall_repeats", true, func(m *sidecar.Metrics) string { return fmt.Sprint(m.Knobs.ToolCallRepeats) }},
	{"knob toolcall_modes", true, func(m *sidecar.Metrics) string { return m.Knobs.ToolCallModes }},
	{"knob stability_requests", true, func(m *sidecar.Metrics) string { return fmt.Sprint(m.Knobs.StabilityRequests) }},
	{"server version", false, func(m *sidecar.Metrics) string { return m.Target.ServerVersion }},
	{"max_model_len", false, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return fmt.Sprint(p.MaxModelLen) })
	}},
	{"engine config (/metrics *_info)", false, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return engineConfigString(p.EngineConfig) })
	}},
	// The declared configuration (ACCEPTANCE_EXPECT_CONFIG): the runs of a
	// side must be declared alike; the sides may declare different ones.
	{"expected config (sha256)", false, func(m *sidecar.Metrics) string {
		return prov(m, func(p *sidecar.Provenance) string { return p.ExpectConfigSHA256 })
	}},
}

// shortHash shows a sha256 by its first 12 hex digits, as git shows a
// commit: enough to tell two apart in a refusal line, which the full 64
// would stretch past a screen. Other values are shown whole.
func shortHash(v string) string {
	if len(v) == 64 && strings.Trim(v, "0123456789abcdef") == "" {
		return v[:12] + "…"
	}
	return v
}

func kindClass(k string) string {
	if k == sidecar.KindSimulator {
		return "simulator"
	}
	return "server"
}

func prov(m *sidecar.Metrics, get func(*sidecar.Provenance) string) string {
	if m.Provenance == nil {
		return ""
	}
	return get(m.Provenance)
}

func engineConfigString(c map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(c)) {
		fmt.Fprintf(&b, "%s=%s ", k, c[k])
	}
	return strings.TrimSpace(b.String())
}

// SideRefusals lists why the runs of one side are not runs of one
// configuration: any provenance field that differs between them, and any
// incomplete run.
func SideRefusals(side string, runs []sidecar.Run) []string {
	var r []string
	for _, run := range runs {
		if !run.Metrics.Complete {
			r = append(r, fmt.Sprintf("%s run %s is incomplete (end_reason %q); rerun it to the end", side, run.Name, run.Metrics.Ending()))
		}
	}
	if len(runs) < 2 {
		return r
	}
	for _, k := range provenanceKeys {
		first := k.get(runs[0].Metrics)
		for _, run := range runs[1:] {
			if v := k.get(run.Metrics); v != first {
				r = append(r, fmt.Sprintf("%s runs disagree on %s: %s has %q, %s has %q; a side must be runs of one configuration",
					side, k.name, runs[0].Name, shortHash(first), run.Name, shortHash(v)))
				break
			}
		}
	}
	return r
}

// Refusals lists why the two sides cannot be compared fairly: runs within
// a side that disagree (SideRefusals), and sides that differ in model,
// target kind (simulator against a server), schema or suite version,
// fixtures or knobs. The server version, max_model_len and engine
// configuration may differ between sides: they are what a candidate
// changes.
func Refusals(base, cand []sidecar.Run) []string {
	r := append(SideRefusals("baseline", base), SideRefusals("candidate", cand)...)
	if len(base) == 0 || len(cand) == 0 {
		return append(r, "a side has no runs")
	}
	b, c := base[0].Metrics, cand[0].Metrics
	for _, k := range provenanceKeys {
		if !k.across {
			continue
		}
		if bv, cv := k.get(b), k.get(c); bv != cv {
			r = append(r, fmt.Sprintf("%s differs: baseline %q, candidate %q", k.name, shortHash(bv), shortHash(cv)))
		}
	}
	return r
}
