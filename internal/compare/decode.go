// Package compare is the promotion gate: pure functions that set a
// candidate's runs against a baseline's (Compare), or rank several
// configurations (Rank), with one confidence interval per figure, and
// writers that print the result as Markdown or JSON.
package compare

import "github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"

// Decode reads one metrics.json: sidecar.Decode, kept under this name for
// existing callers. The reader lives beside the writer, in sidecar.
var Decode = sidecar.Decode

// Errors Decode wraps, for errors.Is (the sidecar package's).
var (
	ErrNotJSON          = sidecar.ErrNotJSON
	ErrNoSchemaVersion  = sidecar.ErrNoSchemaVersion
	ErrSchemaVersion    = sidecar.ErrSchemaVersion
	ErrSidecarTooLarge  = sidecar.ErrSidecarTooLarge
	ErrSidecarMalformed = sidecar.ErrSidecarMalformed
)

// MaxSidecarBytes is sidecar.MaxSidecarBytes.
const MaxSidecarBytes = sidecar.MaxSidecarBytes
