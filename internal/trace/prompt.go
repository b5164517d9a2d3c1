package trace

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// Calibration maps the served model's tokens to the words prompts are
// built from: a one-message chat request of w words counts
// Overhead + TokensPerWord×w prompt tokens. Measured on the server
// (vLLM's /tokenize, or usage.prompt_tokens of probes) by two prompts of
// different lengths: the slope is TokensPerWord, the rest the chat
// template's tokens.
type Calibration struct {
	TokensPerWord float64 `json:"tokens_per_word"`
	Overhead      float64 `json:"overhead_tokens"`
	// Source says how it was measured: "tokenize" (vLLM's /tokenize),
	// "usage" (usage.prompt_tokens of two probe requests).
	Source string `json:"source"`
}

// Fit is the calibration through two measured points: a prompt of w1
// words counted c1 tokens, one of w2 words c2.
func Fit(w1, c1, w2, c2 int, source string) (Calibration, error) {
	if w2 == w1 || c2 <= c1 {
		return Calibration{}, fmt.Errorf("calibration: %d words counted %d tokens and %d words %d: the count does not grow with the prompt", w1, c1, w2, c2)
	}
	tpw := float64(c2-c1) / float64(w2-w1)
	return Calibration{TokensPerWord: tpw, Overhead: math.Max(0, float64(c1)-tpw*float64(w1)), Source: source}, nil
}

// words is the vocabulary of built prompts: common English words, each
// one token with its leading space in the BPE vocabularies of the usual
// served models (Llama 3, Qwen, Mistral), so the calibration's slope
// stays near one and is the same along a prompt.
var words = strings.Fields(`time year people way day man thing woman life child world school state family
student group country problem hand part place case week company system program question work government
number night point home water room mother area money story fact month lot right study book eye job word
business issue side kind head house service friend father power hour game line end member law car city
community name president team minute idea kid body information back parent face others level office door
health person art war history party result change morning reason research girl guy moment air teacher
force education foot boy age policy music market sense nation plan college interest death experience
effect use class control care field development role effort rate heart drug show leader light voice wife
police mind price report decision son view relationship town road arm difference value building action
model season society tax director position player record paper space ground form event official matter
center couple site project activity star table need court oil situation cost industry figure street image
phone data picture practice piece land product doctor wall patient worker news test movie north love
support technology step baby computer type attention film tree source organization hair window evidence
population truth`)

// BlockWords is the text of hash block id, as many words of it as asked
// (at most a whole block's): the same id gives the same words, so
// requests that share hash ids share their text, and a shorter block is
// a prefix of the longer. Words come from a PCG generator seeded by id.
func BlockWords(id int64, n int) []string {
	rng := rand.New(rand.NewPCG(uint64(id), 0x5eed_b10c))
	out := make([]string, n)
	for i := range out {
		out[i] = words[rng.IntN(len(words))]
	}
	return out
}

// uniqueBlock is the hash id of block j of a line whose trace gives no id
// for it: negative, so never one of the trace's (which are ≥ 0), and
// distinct per line and block, so the text is shared with no other.
func uniqueBlock(line, j int) int64 { return -int64(line)*1_000_003 - int64(j) - 1 }

// Builder builds the prompts of a trace's lines on a calibrated server.
// It keeps the text of recently used hash blocks (up to maxCached), so a
// replay's dispatcher spends microseconds, not a block's worth of random
// draws, on a shared prefix. Safe for concurrent use (a closed loop's
// workers plan requests in parallel).
type Builder struct {
	cal    Calibration
	per    int // words per whole block
	mu     sync.Mutex
	blocks map[int64]block
}

// block is a whole block's text and the end offset of each of its words.
type block struct {
	text string
	ends []int32
}

// maxCached bounds the blocks a Builder keeps: 4096 blocks of ~3.5 KB.
const maxCached = 4096

// NewBuilder is a Builder for calibration c.
func NewBuilder(c Calibration) *Builder {
	if c.TokensPerWord <= 0 {
		c.TokensPerWord = 1
	}
	return &Builder{cal: c, per: max(1, int(math.Round(BlockTokens/c.TokensPerWord))), blocks: map[int64]block{}}
}

// Calibration is the calibration the Builder converts tokens to words with.
func (b *Builder) Calibration() Calibration { return b.cal }

func (b *Builder) block(id int64) block {
	b.mu.Lock()
	defer b.mu.Unlock()
	if bl, ok := b.blocks[id]; ok {
		return bl
	}
	ws := BlockWords(id, b.per)
	var sb strings.Builder
	ends := make([]int32, len(ws))
	for i, w := range ws {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(w)
		ends[i] = int32(sb.Len())
	}
	bl := block{text: sb.String(), ends: ends}
	if len(b.blocks) >= maxCached {
		clear(b.blocks)
	}
	b.blocks[id] = bl
	return bl
}

// Messages are the request's chat messages. A chat line's are its own. A
// Mooncake line's are one user message of words: its hash blocks of
// BlockTokens tokens each (the last one cut short), converted to words by
// the calibration, and the chat template's overhead taken off the end, so
// the request counts InputLength prompt tokens on the calibrated server.
func (b *Builder) Messages(r Request) []fixture.Message {
	if r.Messages != nil {
		return r.Messages
	}
	total := max(1, int(math.Round((float64(r.InputLength)-b.cal.Overhead)/b.cal.TokensPerWord)))
	var sb strings.Builder
	sb.Grow(total * 8)
	for j := 0; total > 0; j++ {
		id := uniqueBlock(r.Line, j)
		if j < len(r.HashIDs) {
			id = r.HashIDs[j]
		}
		n := min(b.per, total)
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		bl := b.block(id)
		sb.WriteString(bl.text[:bl.ends[n-1]])
		total -= n
	}
	return []fixture.Message{{Role: "user", Content: sb.String()}}
}
