package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

func TestDecode(t *testing.T) {
	type testCase struct {
		name    string
		reason  string
		in      string
		wantErr error  // nil: decodes
		msg     string // substring of the error
	}
	run := func(t *testing.T, tc testCase) {
		m, err := sidecar.Decode(strings.NewReader(tc.in))
		if tc.wantErr == nil {
			require.NoError(t, err, tc.reason)
			require.NotNil(t, m)
			return
		}
		require.ErrorIs(t, err, tc.wantErr, tc.reason)
		assert.Contains(t, err.Error(), tc.msg, tc.reason)
		assert.Nil(t, m)
	}
	testCases := []testCase{
		{name: "minimal", reason: "schema_version alone is a (useless) sidecar", in: `{"schema_version":2}`},
		{name: "unknown fields", reason: "the sidecar gains fields within a major version; old readers must accept them",
			in: `{"schema_version":2,"complete":true,"new_section":{"x":1}}`},
		{name: "empty", reason: "an empty file is not a sidecar", in: ``, wantErr: sidecar.ErrNotJSON, msg: "empty input"},
		{name: "html", reason: "a proxy error page saved as metrics.json", in: `<html>502</html>`, wantErr: sidecar.ErrNotJSON, msg: "<html>"},
		{name: "array", reason: "JSON, but not an object", in: `[1,2]`, wantErr: sidecar.ErrNotJSON},
		{name: "null", reason: "JSON null is no object", in: `null`, wantErr: sidecar.ErrNotJSON},
		{name: "no schema_version", reason: "another tool's JSON", in: `{"complete":true}`, wantErr: sidecar.ErrNoSchemaVersion},
		{name: "null schema_version", reason: "null is no version", in: `{"schema_version":null}`, wantErr: sidecar.ErrNoSchemaVersion},
		{name: "string schema_version", reason: "the version is an integer", in: `{"schema_version":"1"}`, wantErr: sidecar.ErrSchemaVersion, msg: "integer"},
		{name: "future major", reason: "version 3 may change meanings under the same names", in: `{"schema_version":3}`, wantErr: sidecar.ErrSchemaVersion, msg: "unsupported schema_version 3"},
		{name: "version 1", reason: "version 1 lacks the histograms and provenance: rerun", in: `{"schema_version":1}`, wantErr: sidecar.ErrSchemaVersion, msg: "rerun the suite"},
		{name: "truncated", reason: "a run killed while writing", in: `{"schema_version":2,"complete":tr`, wantErr: sidecar.ErrNotJSON},
		{name: "old major", reason: "version 0 predates the contract", in: `{"schema_version":0}`, wantErr: sidecar.ErrSchemaVersion},
		{name: "wrong type", reason: "complete must be a bool", in: `{"schema_version":2,"complete":"yes"}`, wantErr: sidecar.ErrSidecarMalformed},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestDecodeTestdata(t *testing.T) {
	for _, name := range []string{"baseline.json", "candidate.json"} {
		m := readSidecar(t, filepath.Join("testdata", name))
		assert.Equal(t, "Qwen/Qwen3-32B-AWQ", m.Target.Model, name)
	}
}

// FuzzDecode: Decode must never panic, and whatever it accepts must compare
// with itself without a regression.
func FuzzDecode(f *testing.F) {
	for _, name := range []string{"baseline.json", "candidate.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		f.Add(data)
	}
	for _, s := range []string{``, `{}`, `null`, `{"schema_version":2}`, `{"schema_version":1e400}`,
		`{"schema_version":2,"tool_calling":{"scenarios":[{"name":"a","attempts":-1,"passed":5}]}}`,
		`{"schema_version":2,"stability":{"runs":[{"name":"x","requests":0,"ttft_ms":{"n":3,"p50":-1},"histograms":{"ttft_ms":"HISTFAAAAB"}}]}}`,
		`{"schema_version":2,"concurrency":{"runs":[{"name":"x","requests":-4,"completed":9,"output_throughput":-1}]}}`,
		`{"schema_version":2,"gpu":{"available":true,"devices":[]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := sidecar.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		runs := []sidecar.Run{{Name: "a", Metrics: m}}
		res := Compare(runs, runs, DefaultTolerances(), Options{Force: true})
		var three []sidecar.Run
		for range 3 {
			three = append(three, runs[0])
		}
		_ = Compare(three, runs, DefaultTolerances(), Options{Force: true})
		var buf bytes.Buffer
		_ = WriteMarkdown(&buf, res)
		_ = WriteJSON(&buf, res)
		rk := Rank([]*sidecar.Metrics{m, m}, nil)
		_ = WriteRankMarkdown(&buf, rk)
	})
}
