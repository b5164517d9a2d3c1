// Package compare is the promotion gate: pure functions that set a
// candidate's metrics.json against a baseline's (Compare), or rank several
// runs of different vLLM configurations (Rank), and writers that print the
// result as Markdown or JSON.
package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// MaxSidecarBytes bounds what Decode reads: a metrics.json is a few hundred
// KiB even with every sample series; anything far larger is not one.
const MaxSidecarBytes = 256 << 20

// Errors Decode wraps, for errors.Is.
var (
	ErrNotJSON          = errors.New("not a JSON object")
	ErrNoSchemaVersion  = errors.New("no schema_version")
	ErrSchemaVersion    = errors.New("unsupported schema_version")
	ErrSidecarTooLarge  = errors.New("larger than any metrics.json")
	ErrSidecarMalformed = errors.New("malformed metrics.json")
)

// Decode reads one metrics.json. It rejects input that is not a JSON
// object, lacks schema_version, or carries a schema_version whose major
// version this build does not know (sidecar.SchemaVersion). Unknown fields
// are accepted: the sidecar only ever gains fields within a major version.
// It never panics, whatever the input.
func Decode(r io.Reader) (*sidecar.Metrics, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSidecarBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read metrics.json: %w", err)
	}
	if len(data) > MaxSidecarBytes {
		return nil, fmt.Errorf("metrics.json: %w (over %d MiB)", ErrSidecarTooLarge, MaxSidecarBytes>>20)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil || top == nil {
		return nil, fmt.Errorf("metrics.json: %w: expected the sidecar the acceptance run writes (%s)", ErrNotJSON, firstBytes(data))
	}
	raw, ok := top["schema_version"]
	if !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, fmt.Errorf("metrics.json: %w: is this a sidecar written by vllm-acceptance?", ErrNoSchemaVersion)
	}
	var version int
	if err := json.Unmarshal(raw, &version); err != nil {
		return nil, fmt.Errorf("metrics.json: %w: schema_version must be an integer, got %s", ErrSchemaVersion, firstBytes(raw))
	}
	if version != sidecar.SchemaVersion {
		return nil, fmt.Errorf("metrics.json: %w %d: this build reads version %d; rerun the suite with this version, or use the vllm-acceptance that wrote it",
			ErrSchemaVersion, version, sidecar.SchemaVersion)
	}
	var m sidecar.Metrics
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("metrics.json: %w: %v", ErrSidecarMalformed, err)
	}
	return &m, nil
}

func firstBytes(b []byte) string {
	b = bytes.TrimSpace(b)
	const n = 40
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	if len(b) == 0 {
		return "empty input"
	}
	return fmt.Sprintf("%q", b)
}
