package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// callTrack follows one streamed tool call (by index) to check the stream's
// structure: name once and whole, id stable.
type callTrack struct {
	id     string
	idRaw  string
	typ    string
	typRaw string
	names  int
}

// stream sends a streamed request and records the first-token timings, the
// gaps between token chunks, and the reassembled answer. The reassembly is
// openai-go's ChatCompletionAccumulator; the structural checks are ours.
func (c *Client) stream(ctx context.Context, req Request, rec *record.Record, origin time.Time, opts []option.RequestOption, t **tap, resp **http.Response) {
	s := c.oa.Chat.Completions.NewStreaming(ctx, req.params(), opts...)
	defer s.Close()
	if *resp != nil {
		rec.Status = (*resp).StatusCode
		rec.RetryAfter = (*resp).Header.Get("Retry-After")
	}
	var (
		acc           openai.ChatCompletionAccumulator
		reasoningText strings.Builder
		content       strings.Builder
		lastTok       time.Time
		finishes      int
		calls         = map[int64]*callTrack{}
		maxIndex      = int64(-1)
		markup        bool
		issues        = map[string]bool{}
		issue         = func(format string, a ...any) {
			m := fmt.Sprintf(format, a...)
			if !issues[m] {
				issues[m] = true
				rec.StreamIssues = append(rec.StreamIssues, m)
			}
		}
		wire = func(format string, a ...any) {
			m := fmt.Sprintf(format, a...)
			if !issues[m] {
				issues[m] = true
				rec.WireIssues = append(rec.WireIssues, m)
			}
		}
		sawUsage bool
	)
	for s.Next() {
		// Timings are taken at the bytes' arrival (the tap's last read), as
		// vllm bench serve stamps a chunk before json.loads; the decode that
		// Next just did is the harness's cost, not the server's.
		now := time.Now()
		if *t != nil && !(*t).readAt.IsZero() {
			now = (*t).readAt
		}
		chunk := s.Current()
		rec.Chunks++
		if !acc.AddChunk(chunk) {
			issue("chunk rejected by the accumulator (id %q changed mid-stream or choices out of range)", chunk.ID)
		}
		if chunk.JSON.Usage.Valid() {
			sawUsage = true
			usage(rec, chunk.Usage)
		}
		token := false
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			d := ch.Delta
			if r := reasoning(d.JSON.ExtraFields); r != "" {
				reasoningText.WriteString(r)
				token = true
				if rec.TTFRms == 0 {
					rec.TTFRms = ms(now.Sub(origin))
				}
			}
			if d.Content != "" {
				content.WriteString(d.Content)
				token = true
				if rec.TTFOms == 0 {
					rec.TTFOms = ms(now.Sub(origin))
				}
				if strings.Contains(d.Content, "<tool_call>") || strings.Contains(d.Content, "<function=") {
					markup = true
				}
			}
			for _, tc := range d.ToolCalls {
				token = true
				if !tc.JSON.Index.Valid() {
					// openai-go reads a missing index as 0, so every such
					// delta lands on call 0: arguments of several calls
					// run together.
					wire("a tool_calls delta has no index (chunk %d): a client cannot tell which call it extends", rec.Chunks)
				}
				if raw := strings.TrimSpace(tc.Function.JSON.Arguments.Raw()); raw != "" && raw != "null" && raw[0] != '"' {
					wire("tool_calls[%d].function.arguments delta %s", tc.Index, argumentsField(raw))
				}
				if rec.TTFOms == 0 {
					rec.TTFOms = ms(now.Sub(origin))
				}
				tr := calls[tc.Index]
				if tr == nil {
					if tc.Index != maxIndex+1 {
						issue("tool call index %d arrived after index %d (indices must start at 0 and count up)", tc.Index, maxIndex)
					}
					maxIndex = max(maxIndex, tc.Index)
					tr = &callTrack{}
					calls[tc.Index] = tr
				}
				if tr.idRaw == "" {
					tr.idRaw = tc.JSON.ID.Raw()
				}
				if tc.Type != "" || tr.typRaw == "" {
					tr.typ, tr.typRaw = string(tc.Type), tc.JSON.Type.Raw()
				}
				if tc.Type != "" && tc.Type != "function" {
					wire(`tool_calls[%d].type is %s (want "function")`, tc.Index, oneLine(tc.JSON.Type.Raw(), 40))
				}
				if tc.ID != "" {
					if tr.id != "" && tc.ID != tr.id {
						issue("tool call %d: id changed from %q to %q", tc.Index, tr.id, tc.ID)
					}
					if tr.id == "" {
						tr.id = tc.ID
					}
				}
				if tc.Function.Name != "" {
					tr.names++
					if tr.names == 2 {
						issue("tool call %d: function name sent in more than one delta", tc.Index)
					}
				}
			}
			if ch.FinishReason != "" {
				finishes++
				rec.FinishReason = ch.FinishReason
			}
		}
		if token {
			rec.TokenChunks++
			rec.LastTokenMs = ms(now.Sub(origin))
			if rec.TTFTms == 0 {
				rec.TTFTms = ms(now.Sub(origin))
			} else {
				rec.ITLms = append(rec.ITLms, ms(now.Sub(lastTok)))
			}
			lastTok = now
		}
	}
	err := s.Err()
	if err == nil && *t != nil && !(*t).sawDone {
		err = fmt.Errorf("stream ended after %d chunks without data: [DONE] (cut off?)", rec.Chunks)
		if (*t).n > 0 && !strings.HasSuffix(strings.TrimRight((*t).head.String(), " "), "\n\n") && rec.Chunks == 0 {
			err = fmt.Errorf("stream cut off mid-chunk after %d bytes, no complete event", (*t).n)
		}
	}
	if err != nil {
		c.fail(ctx, rec, err, *t)
		if rec.ErrorKind == record.ErrDecode && rec.Chunks > 0 {
			// Decodable chunks came first: the stream broke, not the
			// endpoint (an HTML page or garbage body stays bad_response).
			rec.ErrorKind = record.ErrStream
		}
	}
	if rec.ErrorKind == "" {
		for i, tr := range calls {
			if tr.names == 0 {
				issue("tool call %d: function name never sent", i)
			}
		}
		if finishes != 1 {
			issue("%d finish chunks (want exactly 1)", finishes)
		}
		// Wire format of the calls as streamed: each call's id once and
		// unique, its type "function" (sent with the id, in the first
		// delta), and usage, which every streamed request asks for.
		ids := map[string]int{}
		for i := int64(0); i <= maxIndex; i++ {
			tr := calls[i]
			if tr == nil {
				continue
			}
			idRaw := tr.idRaw
			if tr.id != "" && (idRaw == "" || idRaw == "null") {
				idRaw = `"` + tr.id + `"`
			}
			for _, w := range idAndType(int(i), tr.id, idRaw, tr.typ, tr.typRaw, ids) {
				wire("%s", w)
			}
		}
		if req.Stream && !sawUsage {
			wire("usage is missing: stream_options.include_usage was sent, but no chunk carried usage")
		}
		// Markup in the deltas next to parsed calls is a streaming defect;
		// markup with no calls at all is the parser not running, which the
		// diagnosis names (parser_mismatch_*) with the right remedy.
		if markup && len(calls) > 0 {
			issue("tool-call markup leaked into delta.content")
		}
	}
	rec.Content = content.String()
	rec.Reasoning = reasoningText.String()
	if len(acc.Choices) > 0 {
		for i, tc := range acc.Choices[0].Message.ToolCalls {
			rec.ToolCalls = append(rec.ToolCalls, record.ToolCall{Index: i, ID: tc.ID, Type: string(tc.Type), Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
	}
}
