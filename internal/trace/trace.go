// Package trace reads a workload trace (ACCEPTANCE_WORKLOAD) and turns
// its lines into chat requests: the Mooncake JSONL format (`timestamp` in
// ms, `input_length`, `output_length`, `hash_ids` of BlockTokens-token
// blocks; github.com/kvcache-ai/Mooncake's FAST'25 traces, read the same
// way by vllm bench serve, AIPerf and inference-perf) and a plain JSONL of
// chat requests (`messages`, `max_tokens`, optional `timestamp`).
//
// A bad line refuses the whole file before any request is sent, with one
// line naming the file, the line number and the field.
package trace

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// Format is a trace file's format.
type Format string

// The formats Load reads; a file's first line decides (a line with
// "messages" is a chat request).
const (
	Mooncake Format = "mooncake"
	Chat     Format = "chat"
)

// BlockTokens is the size of a Mooncake hash block: the traces hash every
// 512 prompt tokens (Mooncake's FAST'25 trace README), so requests with
// the same first k hash ids share their first k×512 prompt tokens.
const BlockTokens = 512

// maxTimestamp bounds a timestamp (ms): a year, far beyond any replay,
// and well inside time.Duration.
const maxTimestamp = 365 * 24 * 3600 * 1000

// maxLine bounds one line of a trace (a chat request with a long history).
const maxLine = 16 << 20

// Request is one trace line.
type Request struct {
	// Line is the 1-based line number in the file.
	Line int
	// At is the arrival time after the trace's first line (its timestamp
	// minus the first's); 0 in a file without timestamps.
	At time.Duration
	// InputLength is the prompt length the trace asks for, in tokens
	// (Mooncake); 0 when the trace gives the messages instead (chat).
	InputLength int
	// OutputLength is the answer length: output_length or max_tokens.
	OutputLength int
	// HashIDs name the prompt's BlockTokens-token blocks (Mooncake).
	HashIDs []int64
	// Messages are the chat request's messages (chat format).
	Messages []fixture.Message
}

// Trace is a whole trace file.
type Trace struct {
	// Name is the file's base name, SHA256 its bytes' digest.
	Name, SHA256 string
	Format       Format
	Requests     []Request
	// Timed reports whether the lines carry arrival times.
	Timed bool
}

// Span is the time from the first arrival to the last.
func (t *Trace) Span() time.Duration {
	if len(t.Requests) == 0 {
		return 0
	}
	return t.Requests[len(t.Requests)-1].At
}

// Rate is the trace's mean arrival rate per second: (lines-1)/span; 0
// without timestamps or with all lines at one instant.
func (t *Trace) Rate() float64 {
	if s := t.Span().Seconds(); t.Timed && s > 0 {
		return float64(len(t.Requests)-1) / s
	}
	return 0
}

// Load reads and checks a trace file.
func Load(path string) (*Trace, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, errors.Unwrap(err))
	}
	t, err := Parse(bytes.NewReader(b), filepath.Base(path))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	t.SHA256 = hex.EncodeToString(sum[:])
	return t, nil
}

// line is one line as written, every field optional so that a missing
// one is told apart from a zero.
type line struct {
	Timestamp    *float64       `json:"timestamp"`
	InputLength  *int           `json:"input_length"`
	OutputLength *int           `json:"output_length"`
	HashIDs      *[]int64       `json:"hash_ids"`
	Messages     *[]chatMessage `json:"messages"`
	MaxTokens    *int           `json:"max_tokens"`
}

type chatMessage struct {
	Role    *string `json:"role"`
	Content *string `json:"content"`
}

// Parse reads a trace from r; name is the file name errors give. Blank
// lines are skipped; every other line must be one JSON object of the
// format the first line has.
func Parse(r io.Reader, name string) (*Trace, error) {
	t := &Trace{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var first float64
	n := 0
	for sc.Scan() {
		n++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		bad := func(field, msg string, args ...any) error {
			return fmt.Errorf("%s line %d: %s: %s", name, n, field, fmt.Sprintf(msg, args...))
		}
		var l line
		if err := json.Unmarshal(raw, &l); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && te.Field != "" {
				return nil, bad(te.Field, "is %s, not %s", te.Value, te.Type)
			}
			return nil, fmt.Errorf("%s line %d: not a JSON object: %v", name, n, err)
		}
		format := Mooncake
		if l.Messages != nil {
			format = Chat
		}
		if t.Format == "" {
			t.Format = format
			t.Timed = l.Timestamp != nil
		} else if format != t.Format {
			return nil, bad("messages", "the file is %s (from its first line) and this line is %s: one format per file", t.Format, format)
		}
		req := Request{Line: n}
		switch format {
		case Mooncake:
			if err := mooncake(l, &req, bad); err != nil {
				return nil, err
			}
		case Chat:
			if err := chat(l, &req, bad); err != nil {
				return nil, err
			}
		}
		switch {
		case t.Timed && l.Timestamp == nil:
			return nil, bad("timestamp", "missing (the first line has one: every line needs one)")
		case !t.Timed && l.Timestamp != nil:
			return nil, bad("timestamp", "present, but the first line has none: give every line one, or none")
		case l.Timestamp != nil:
			ts := *l.Timestamp
			if ts < 0 || ts > maxTimestamp {
				return nil, bad("timestamp", "%g is out of range: milliseconds, from 0 to %g (a year)", ts, float64(maxTimestamp))
			}
			if len(t.Requests) == 0 {
				first = ts
			}
			req.At = time.Duration((ts - first) * float64(time.Millisecond))
			if prev := len(t.Requests) - 1; prev >= 0 && req.At < t.Requests[prev].At {
				return nil, bad("timestamp", "%g is earlier than line %d's: timestamps must not decrease (sort the trace by timestamp)", ts, t.Requests[prev].Line)
			}
		}
		t.Requests = append(t.Requests, req)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s line %d: %w", name, n+1, err)
	}
	if len(t.Requests) == 0 {
		return nil, fmt.Errorf("%s line %d: the trace is empty: no request line (a Mooncake line has timestamp, input_length, output_length, hash_ids)", name, max(n, 1))
	}
	return t, nil
}

func mooncake(l line, req *Request, bad func(field, msg string, args ...any) error) error {
	const want = `a Mooncake line has {"timestamp": ms, "input_length": n, "output_length": n, "hash_ids": [...]}`
	switch {
	case l.InputLength == nil:
		return bad("input_length", "missing; %s", want)
	case *l.InputLength < 1:
		return bad("input_length", "%d; the prompt needs at least 1 token", *l.InputLength)
	case l.OutputLength == nil:
		return bad("output_length", "missing; %s", want)
	case *l.OutputLength < 1:
		return bad("output_length", "%d; the answer needs at least 1 token", *l.OutputLength)
	case l.HashIDs == nil:
		return bad("hash_ids", "missing; %s (an empty list for a prompt shared with no other)", want)
	}
	for i, h := range *l.HashIDs {
		if h < 0 {
			return bad(fmt.Sprintf("hash_ids[%d]", i), "%d is negative", h)
		}
	}
	req.InputLength, req.OutputLength, req.HashIDs = *l.InputLength, *l.OutputLength, *l.HashIDs
	return nil
}

func chat(l line, req *Request, bad func(field, msg string, args ...any) error) error {
	switch {
	case len(*l.Messages) == 0:
		return bad("messages", "empty; a chat line has at least one {\"role\", \"content\"} message")
	case l.MaxTokens == nil:
		return bad("max_tokens", "missing; a chat line has {\"messages\": [...], \"max_tokens\": n}")
	case *l.MaxTokens < 1:
		return bad("max_tokens", "%d; the answer needs at least 1 token", *l.MaxTokens)
	}
	for i, m := range *l.Messages {
		switch {
		case m.Role == nil || *m.Role == "":
			return bad(fmt.Sprintf("messages[%d].role", i), "missing")
		case m.Content == nil:
			return bad(fmt.Sprintf("messages[%d].content", i), "missing (a string)")
		}
		req.Messages = append(req.Messages, fixture.Message{Role: *m.Role, Content: *m.Content})
	}
	req.OutputLength = *l.MaxTokens
	return nil
}
