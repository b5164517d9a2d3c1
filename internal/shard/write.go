package shard

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// Write puts the merged run in out: metrics.json (atomically) and
// requests.jsonl (the main part's lines, then every shard's, shard by
// shard, each line marked with its shard by the shard that wrote it).
// junit.xml comes from Events, through gotestsum (vllm-acceptance merge).
func Write(out string, set *Set, m *sidecar.Metrics) error {
	parts := set.Shards
	if set.Main != nil {
		parts = append([]Part{*set.Main}, parts...)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if err := sidecar.Write(filepath.Join(out, "metrics.json"), m); err != nil {
		return err
	}
	return concatRequests(filepath.Join(out, "requests.jsonl"), parts)
}

func concatRequests(path string, parts []Part) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, p := range parts {
		in, err := os.Open(filepath.Join(p.Dir, "requests.jsonl"))
		if errors.Is(err, os.ErrNotExist) {
			continue // a shard that wrote no request
		}
		if err != nil {
			f.Close()
			return err
		}
		_, err = io.Copy(w, in)
		in.Close()
		if err != nil {
			f.Close()
			return fmt.Errorf("%s/requests.jsonl: %w", p.Dir, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
