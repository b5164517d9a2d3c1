package trace

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Mooncake lines are shaped like the FAST'25 conversation trace
// (github.com/kvcache-ai/Mooncake, FAST25-release/traces): hash_ids holds
// ceil(input_length/512) ids.
const mooncakeLines = `{"timestamp": 0, "input_length": 1100, "output_length": 20, "hash_ids": [0, 1, 2]}
{"timestamp": 250, "input_length": 700, "output_length": 5, "hash_ids": [0, 3]}

{"timestamp": 250, "input_length": 30, "output_length": 7, "hash_ids": []}
`

func TestParse(t *testing.T) {
	tr, err := Parse(strings.NewReader(mooncakeLines), "t.jsonl")
	require.NoError(t, err)
	assert.Equal(t, Mooncake, tr.Format)
	assert.True(t, tr.Timed)
	require.Len(t, tr.Requests, 3, "the blank line is skipped")
	assert.Equal(t, []int{1, 2, 4}, []int{tr.Requests[0].Line, tr.Requests[1].Line, tr.Requests[2].Line}, "line numbers are the file's")
	assert.Equal(t, 250*time.Millisecond, tr.Requests[1].At)
	assert.Equal(t, 700, tr.Requests[1].InputLength)
	assert.InDelta(t, 8, tr.Rate(), 1e-9, "2 gaps over 250 ms")

	chat, err := Parse(strings.NewReader(`{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}], "max_tokens": 16}
{"messages": [{"role": "user", "content": "Bye"}], "max_tokens": 8}`), "c.jsonl")
	require.NoError(t, err)
	assert.Equal(t, Chat, chat.Format)
	assert.False(t, chat.Timed)
	assert.Nil(t, chat.Offsets(1), "no timestamps, no schedule")
	assert.Equal(t, "Be brief.", chat.Requests[0].Messages[0].Content)
	assert.Equal(t, 8, chat.Requests[1].OutputLength)
}

func TestParseRefusesBadLines(t *testing.T) {
	type testCase struct {
		name, in string
		// want are pieces of the one-line error.
		want   []string
		reason string
	}
	ok := `{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}` + "\n"
	run := func(t *testing.T, tc testCase) {
		_, err := Parse(strings.NewReader(tc.in), "bad.jsonl")
		require.Error(t, err, tc.reason)
		assert.NotContains(t, err.Error(), "\n", "one line")
		for _, w := range tc.want {
			assert.Contains(t, err.Error(), w, tc.reason)
		}
	}
	for _, tc := range []testCase{
		{"empty", "", []string{"bad.jsonl line 1", "empty"}, "a file with no line sends nothing"},
		{"blank", "\n\n", []string{"empty"}, "blank lines only"},
		{"missing input_length", ok + `{"timestamp": 5, "output_length": 5, "hash_ids": []}`, []string{"line 2: input_length: missing"}, "the field is named"},
		{"missing output_length", `{"timestamp": 5, "input_length": 5, "hash_ids": []}`, []string{"line 1: output_length: missing"}, ""},
		{"missing hash_ids", `{"timestamp": 5, "input_length": 5, "output_length": 5}`, []string{"line 1: hash_ids: missing"}, ""},
		{"negative length", ok + ok + `{"timestamp": 9, "input_length": -4, "output_length": 5, "hash_ids": []}`, []string{"line 3: input_length: -4"}, "a negative length"},
		{"zero output", `{"timestamp": 9, "input_length": 4, "output_length": 0, "hash_ids": []}`, []string{"line 1: output_length: 0"}, ""},
		{"negative hash id", `{"timestamp": 9, "input_length": 4, "output_length": 1, "hash_ids": [3, -1]}`, []string{"line 1: hash_ids[1]: -1 is negative"}, ""},
		{"timestamps go back", `{"timestamp": 10, "input_length": 4, "output_length": 1, "hash_ids": []}` + "\n" + `{"timestamp": 9, "input_length": 4, "output_length": 1, "hash_ids": []}`,
			[]string{"line 2: timestamp: 9 is earlier than line 1's"}, "a trace must be sorted by arrival"},
		{"timestamp missing", ok + `{"input_length": 4, "output_length": 1, "hash_ids": []}`, []string{"line 2: timestamp: missing"}, "all lines timed or none"},
		{"bad json", ok + `{"timestamp": 1, "input_length": 4,`, []string{"line 2: not a JSON object"}, "a cut line"},
		{"wrong type", `{"timestamp": 1, "input_length": "4", "output_length": 1, "hash_ids": []}`, []string{"line 1: input_length: is string"}, "a string where a number belongs"},
		{"not an object", `[1, 2]`, []string{"line 1: not a JSON object"}, ""},
		{"mixed formats", ok + `{"timestamp": 1, "messages": [{"role": "user", "content": "x"}], "max_tokens": 3}`, []string{"line 2: messages", "one format per file"}, ""},
		{"chat without max_tokens", `{"messages": [{"role": "user", "content": "x"}]}`, []string{"line 1: max_tokens: missing"}, ""},
		{"chat without content", `{"messages": [{"role": "user"}], "max_tokens": 3}`, []string{"line 1: messages[0].content: missing"}, ""},
		{"chat with no message", `{"messages": [], "max_tokens": 3}`, []string{"line 1: messages: empty"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) { run(t, tc) })
	}
}

func TestMessagesShareBlocks(t *testing.T) {
	tr, err := Parse(strings.NewReader(mooncakeLines), "t.jsonl")
	require.NoError(t, err)
	c := NewBuilder(Calibration{TokensPerWord: 1, Overhead: 4})
	a := c.Messages(tr.Requests[0])[0].Content
	b := c.Messages(tr.Requests[1])[0].Content
	d := c.Messages(tr.Requests[2])[0].Content
	wa, wb, wd := strings.Fields(a), strings.Fields(b), strings.Fields(d)
	assert.Len(t, wa, 1100-4, "input_length less the template's overhead, at one token per word")
	assert.Len(t, wb, 700-4)
	assert.Equal(t, wa[:BlockTokens], wb[:BlockTokens], "hash id 0 is the same text in both")
	assert.NotEqual(t, wa[BlockTokens:BlockTokens+16], wb[BlockTokens:BlockTokens+16], "ids 1 and 3 differ")
	assert.NotEqual(t, wa[:16], wd[:16], "a line without ids shares nothing")
	assert.Equal(t, a, c.Messages(tr.Requests[0])[0].Content, "the same line builds the same text")

	assert.Equal(t, strings.Join(BlockWords(0, 20), " "), a[:len(strings.Join(BlockWords(0, 20), " "))], "the text is BlockWords'")
	half := NewBuilder(Calibration{TokensPerWord: 2})
	assert.Len(t, strings.Fields(half.Messages(tr.Requests[0])[0].Content), 550, "two tokens per word: half the words")
}

func TestFit(t *testing.T) {
	c, err := Fit(100, 134, 600, 684, "usage")
	require.NoError(t, err)
	assert.InDelta(t, 1.1, c.TokensPerWord, 1e-9)
	assert.InDelta(t, 24, c.Overhead, 1e-9)
	_, err = Fit(100, 50, 600, 50, "usage")
	assert.Error(t, err, "a count that does not grow cannot calibrate")
}

func TestWindowKeepsTheTraceShapeAtTheRate(t *testing.T) {
	tr, err := Parse(strings.NewReader(mooncakeLines), "t.jsonl")
	require.NoError(t, err)
	reqs, offs := tr.Window(1, 5, 16)
	require.Len(t, reqs, 5)
	assert.Equal(t, []int{2, 4, 1, 2, 4}, []int{reqs[0].Line, reqs[1].Line, reqs[2].Line, reqs[3].Line, reqs[4].Line}, "cycles through the trace")
	// The trace runs at 8/s; at 16/s its gaps halve: 250 ms → 0, 0 → 0,
	// wrap → the mean gap 62.5 ms, 250 ms → 125 ms, 0 → 0.
	assert.Equal(t, []time.Duration{0, 0, 62500 * time.Microsecond, 187500 * time.Microsecond, 187500 * time.Microsecond}, offs)
	assert.Equal(t, []time.Duration{0, 125 * time.Millisecond, 125 * time.Millisecond}, tr.Offsets(2), "speedup 2 halves the times")
}

func FuzzParse(f *testing.F) {
	f.Add(mooncakeLines)
	f.Add(`{"messages": [{"role": "user", "content": "x"}], "max_tokens": 3}`)
	f.Add(`{"timestamp": 1e308, "input_length": 4, "output_length": 1, "hash_ids": [9223372036854775807]}`)
	f.Fuzz(func(t *testing.T, in string) {
		tr, err := Parse(strings.NewReader(in), "fuzz.jsonl")
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a refusal is one line")
			return
		}
		require.NotEmpty(t, tr.Requests)
		for i, r := range tr.Requests {
			assert.Positive(t, r.OutputLength)
			if i > 0 {
				assert.GreaterOrEqual(t, r.At, tr.Requests[i-1].At, "arrivals never go back")
			}
		}
	})
}

func TestSharedPrefix(t *testing.T) {
	tr, err := Parse(strings.NewReader(`{"timestamp": 0, "input_length": 1100, "output_length": 1, "hash_ids": [0, 1, 2]}
{"timestamp": 1, "input_length": 700, "output_length": 1, "hash_ids": [0, 3]}
{"timestamp": 2, "input_length": 1300, "output_length": 1, "hash_ids": [0, 1, 4]}
{"timestamp": 3, "input_length": 600, "output_length": 1, "hash_ids": [5, 1]}
{"timestamp": 4, "input_length": 300, "output_length": 1, "hash_ids": [0]}
`), "s.jsonl")
	require.NoError(t, err)
	assert.Equal(t, []int{0, 512, 1024, 0, 300}, SharedPrefix(tr.Requests),
		"first sight shares nothing; block 0 then 0,1 seen before; id 1 after another first block is another block; a short line shares its whole length")
}
