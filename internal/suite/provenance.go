package suite

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/fixtures"
	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/config"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// provenance is what the run measured with (sidecar.Provenance); the
// engine configuration from /metrics is added when the monitors stop.
func (r *Run) provenance(srv client.Server) *sidecar.Provenance {
	return &sidecar.Provenance{
		ServerVersion:  srv.Version,
		Model:          r.Cfg.Model,
		MaxModelLen:    srv.MaxModelLen[r.Cfg.Model],
		Suite:          sidecar.Version,
		FixturesSHA256: r.fixturesHash(),
		KnobsSHA256:    knobsHash(r.Cfg),
	}
}

// knobsHash is the SHA-256 of the knobs that change what is measured, as
// JSON. Left out: the target and its credentials (the model is compared on
// its own), where outputs and fixtures live (the fixtures are hashed by
// content), the simulator persona (it is the server, not a knob), and
// monitoring and progress settings.
func knobsHash(c config.Config) string {
	c.BaseURL, c.APIKey, c.Model, c.CAFile, c.InsecureSkipVerify = "", "", "", "", false
	c.Simulator, c.Out, c.SettingsFile, c.Fixtures = "", "", "", ""
	// The declaration is hashed by content (expect_config_sha256); the
	// price and GPU count change the cost, not what is measured.
	c.ExpectConfig, c.GPUHourPrice, c.GPUCount = "", 0, 0
	c.Parallel, c.GPUInterval, c.MetricsInterval, c.ProgressEvery = 0, 0, 0, 0
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// fixturesHash is the SHA-256 over the fixture files the run loaded: each
// file's path and bytes, in name order. "" when they cannot be read.
func (r *Run) fixturesHash() string {
	var fsys fs.FS = fixtures.FS
	dir := r.Cfg.Fixtures
	if !filepath.IsAbs(dir) {
		if root := config.RepoRoot(); root != "" {
			dir = filepath.Join(root, dir)
		}
	}
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		fsys = os.DirFS(dir)
	}
	h := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(p)); ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
		return nil
	})
	if err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
