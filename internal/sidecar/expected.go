package sidecar

import "github.com/vllm-acceptance/vllm-acceptance/internal/checkname"

// ExpectedConfig is the expected-configuration check
// (ACCEPTANCE_EXPECT_CONFIG): what the candidate declares against what
// the server exposes, checked in the preflight before any load. A row
// per declared key; a fact the server does not expose is unknown, never
// failed.
type ExpectedConfig struct {
	// File is the declaration's path as given, SHA256 the hash of its
	// bytes (also in provenance.expect_config_sha256).
	File   string        `json:"file"`
	SHA256 string        `json:"sha256"`
	Rows   []ExpectedRow `json:"rows"`
}

// ExpectedRow is one declared key: expected against found, where it was
// read, and the outcome.
type ExpectedRow struct {
	Key      string  `json:"key"`
	Expected string  `json:"expected"`
	Found    string  `json:"found,omitempty"`
	Source   string  `json:"source,omitempty"`
	Outcome  Outcome `json:"outcome"`
	Note     string  `json:"note,omitempty"`
}

// CheckExpectedConfig prefixes the checks of the expected configuration:
// "expected_config.<key>" (ACCEPTANCE_FAIL_UNKNOWN may name one).
const CheckExpectedConfig = checkname.ExpectedConfig

// Checks are the rows as checks, for the judge.
func (e *ExpectedConfig) Checks() []Check {
	if e == nil {
		return nil
	}
	out := make([]Check, 0, len(e.Rows))
	for _, r := range e.Rows {
		c := Check{Name: CheckExpectedConfig + "." + r.Key, Detail: "expected " + r.Expected + ", found " + r.Found + " (" + r.Source + ")", Outcome: r.Outcome}
		switch r.Outcome {
		case Pass:
			c.Passed = true
		case Unknown:
			c.Skipped, c.Detail = true, r.Key+": "+r.Note
		}
		out = append(out, c)
	}
	return out
}

// expectedConfigVerdict is the section's rule: it fails when a row counts
// as failed (an unknown row fails only when ACCEPTANCE_FAIL_UNKNOWN names
// it); unknown rows alone leave it unknown, never not run.
func (j Judge) expectedConfigVerdict(e *ExpectedConfig) SectionVerdict {
	return SectionVerdict{Outcome: j.Checks(e.Checks())}
}
