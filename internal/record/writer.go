package record

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// Writer appends one JSON line per Record to a file, flushing each line as it
// is written so a run killed half-way keeps every finished line.
type Writer struct {
	mu  sync.Mutex
	f   *os.File
	enc *json.Encoder
	n   int
}

// Create opens (truncating) path for writing.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	return &Writer{f: f, enc: json.NewEncoder(f)}, nil
}

// Write appends r as one line. The write goes straight to the file (no
// user-space buffer), so it survives the process being killed right after.
func (w *Writer) Write(r *Record) error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("write requests.jsonl: writer closed")
	}
	w.n++
	return w.enc.Encode(r)
}

// Count is the number of lines written so far.
func (w *Writer) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Close syncs and closes the file. It is safe to call twice.
func (w *Writer) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	_ = w.f.Sync()
	err := w.f.Close()
	w.f = nil
	return err
}
