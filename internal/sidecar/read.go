package sidecar

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
// version this build does not know (SchemaVersion). Unknown fields
// are accepted: the sidecar only ever gains fields within a major version.
// It never panics, whatever the input.
func Decode(r io.Reader) (*Metrics, error) {
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
	switch {
	case version == 1:
		return nil, fmt.Errorf("metrics.json: %w 1: written by vllm-acceptance before 0.2.0, without the histograms and provenance compare needs; rerun the suite with this version",
			ErrSchemaVersion)
	case version != SchemaVersion:
		return nil, fmt.Errorf("metrics.json: %w %d: this build reads version %d; rerun the suite with this version, or use the vllm-acceptance that wrote it",
			ErrSchemaVersion, version, SchemaVersion)
	}
	var m Metrics
	if err := json.Unmarshal(data, &m); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("metrics.json: %w: truncated or corrupt JSON (%v); was the run killed while writing? rerun it", ErrSidecarMalformed, err)
		}
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

// ErrNoRuns is returned by ReadRuns for a folder that holds no run.
var ErrNoRuns = errors.New("no runs")

// Run is one metrics.json read from disk, with the name it is shown by.
type Run struct {
	// Name is the run's folder name (or the file name without .json when
	// the file is not called metrics.json).
	Name    string
	Path    string
	Metrics *Metrics
}

// ReadRuns reads one side of a comparison, or one configuration of a
// ranking: a metrics.json file, a run folder holding one, or a folder of
// run folders (several runs of one configuration, e.g. runs/1, runs/2, ...;
// sorted by name). report, compare and rank all read runs through it. The
// error is one line naming the path and what to do.
func ReadRuns(path string) ([]Run, error) {
	if path == "" {
		return nil, errors.New("empty path: give a metrics.json, a run folder, or a folder of run folders")
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%w (run the suite first, or pass the metrics.json path)", err)
	}
	if !st.IsDir() {
		r, err := readRun(path)
		if err != nil {
			return nil, err
		}
		return []Run{r}, nil
	}
	if _, err := os.Stat(filepath.Join(path, "metrics.json")); err == nil {
		r, err := readRun(filepath.Join(path, "metrics.json"))
		if err != nil {
			return nil, err
		}
		return []Run{r}, nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(path, e.Name(), "metrics.json")); err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: %w: the folder holds no metrics.json and no run folder with one; run the suite with ACCEPTANCE_OUT=%s/1 (2, 3, ...)",
			path, ErrNoRuns, filepath.Clean(path))
	}
	sort.Strings(names)
	runs := make([]Run, 0, len(names))
	for _, n := range names {
		r, err := readRun(filepath.Join(path, n, "metrics.json"))
		if err != nil {
			return nil, err
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// Read reads one metrics.json, or the one in a run folder (report's
// input), through Decode: the schema version is checked. The error names
// the path.
func Read(path string) (*Metrics, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, "metrics.json")
	}
	r, err := readRun(path)
	if err != nil {
		return nil, err
	}
	return r.Metrics, nil
}

func readRun(path string) (Run, error) {
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Run{}, fmt.Errorf("%w (run the suite first, or pass the metrics.json path)", err)
		}
		return Run{}, err
	}
	defer fh.Close()
	m, err := Decode(fh)
	if err != nil {
		return Run{}, fmt.Errorf("%s: %w", path, err)
	}
	return Run{Name: runName(path), Path: path, Metrics: m}, nil
}

func runName(path string) string {
	clean := filepath.Clean(path)
	if filepath.Base(clean) == "metrics.json" {
		return filepath.Base(filepath.Dir(clean))
	}
	return trimExt(filepath.Base(clean))
}

func trimExt(s string) string { return s[:len(s)-len(filepath.Ext(s))] }
