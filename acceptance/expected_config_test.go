//go:build live

package acceptance

import (
	"testing"

	"github.com/vllm-acceptance/vllm-acceptance/internal/expect"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestExpectedConfig is ACCEPTANCE_EXPECT_CONFIG against the server,
// checked in the preflight before any load (internal/suite, expect.go): a
// mismatch fails it, and every other case, with the table of expected
// against found; a fact the server does not expose is unknown, never
// failed.
func TestExpectedConfig(t *testing.T) {
	e := run.ExpectedConfig()
	if e == nil {
		if msg := run.Fatal(); msg != "" {
			t.Fatal(msg)
		}
		t.Skip("ACCEPTANCE_EXPECT_CONFIG is not set: no declared configuration to check")
	}
	table := expect.Table(e)
	if passed, _ := run.Judge().Section(&sidecar.Metrics{ExpectedConfig: e}, sidecar.SectionExpectedConfig); !passed {
		t.Fatalf("expected config does not match the server (%s), checked before any load: %s\n%s", e.File, expect.Mismatches(e), table)
	}
	t.Logf("expected config (%s):\n%s", e.File, table)
}
