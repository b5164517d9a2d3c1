package compare

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// TestTestdataInputs keeps testdata/baseline.json and candidate.json equal,
// byte for byte, to the Go values they are written from (as sidecar.Write
// writes them); -update-inputs rewrites them, -update does not (it
// rewrites the golden outputs made from them). The run folders under
// testdata/runs/ are TestTestdataRuns'.
func TestTestdataInputs(t *testing.T) {
	for name, m := range map[string]func() *sidecar.Metrics{"baseline.json": baseMetrics, "candidate.json": candidateMetrics} {
		assertWritten(t, filepath.Join("testdata", name), m())
	}
}

// TestTestdataInputsAreCurrent: every sidecar the tests read from
// testdata/ (every .json but the golden outputs and the fuzz corpus) is in
// the shape this build writes (sidecar.ValidateCurrent: today's types with
// no field left over, and schema.json). A file in an older shape fails
// here, where the lenient reader would hide it.
func TestTestdataInputsAreCurrent(t *testing.T) {
	n := 0
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == filepath.Join("testdata", "fuzz") {
			return fs.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".json" || strings.HasSuffix(path, ".golden.json") {
			return nil
		}
		n++
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NoError(t, sidecar.ValidateCurrent(raw), "%s: regenerate it ('go test ./internal/compare -update-inputs')", path)
		return nil
	})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 11, "baseline.json, candidate.json and 9 run folders")
}
