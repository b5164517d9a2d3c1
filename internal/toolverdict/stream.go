package toolverdict

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
)

// Answer is one answer to one step, reduced to what stream equivalence
// compares: the calls by name and parsed arguments, in index order (Sig),
// and whether the answer is right (ModelOK: no finding, and every check
// but the stream's structure held).
type Answer struct {
	Sig     string
	ModelOK bool
}

func answerOf(st Step) Answer {
	ok := true
	for name, held := range st.Result.Checks {
		if !held && name != toolcheck.Stream {
			ok = false
		}
	}
	return Answer{Sig: Signature(st.Record.ToolCalls), ModelOK: ok && len(st.Result.Findings) == 0}
}

// Signature writes calls as name+arguments, the arguments re-encoded as
// parsed JSON (sorted keys, no spacing) so that formatting differences do
// not count; arguments that do not parse are kept as sent. An answer
// without calls is "" whatever its prose.
func Signature(calls []record.ToolCall) string {
	parts := make([]string, len(calls))
	for i, c := range calls {
		var v any
		if json.Unmarshal([]byte(c.Arguments), &v) == nil {
			b, _ := json.Marshal(v)
			parts[i] = c.Name + string(b)
		} else {
			parts[i] = c.Name + c.Arguments
		}
	}
	return strings.Join(parts, ", ")
}

// streamEquivalence adds a stream_mismatch finding to the streamed
// attempts of every step where the streamed answers differ from the plain
// ones systematically (see systematic), and returns the most distinct
// answers seen for one step (plain and streamed together; 1 means the
// server answered identical requests identically).
func (s *Scenario) streamEquivalence(judged []Judged) int {
	most := 0
	for k := range s.sc.Steps {
		seen := map[string]bool{}
		for _, p := range s.plain[k] {
			seen[p.Sig] = true
		}
		ss := s.streamedAnswers(judged, k)
		for _, x := range ss {
			seen[x.ans.Sig] = true
		}
		most = max(most, len(seen))
		why, ok := s.systematic(k, ss)
		if !ok {
			continue
		}
		for _, x := range ss {
			if x.at < 0 {
				continue // an extra streamed twin: evidence, not an attempt
			}
			d := fmt.Sprintf("step %d: %s: streamed %s vs non-streamed %s", k, why, trim(x.ans.Sig), trim(s.plain[k][0].Sig))
			judged[x.at].Server = append(judged[x.at].Server, diagnosis.Finding{Code: diagnosis.StreamMismatch, Detail: d})
		}
	}
	return most
}

// streamedAnswer is a streamed answer to one step; at is the index of its
// attempt, -1 for an extra streamed twin.
type streamedAnswer struct {
	at  int
	ans Answer
}

func (s *Scenario) streamedAnswers(judged []Judged, k int) []streamedAnswer {
	var ss []streamedAnswer
	if !s.stream {
		return nil
	}
	for i, j := range judged {
		for _, st := range j.Steps {
			if st.Record.Step == k && st.Record.OK() {
				ss = append(ss, streamedAnswer{i, answerOf(st)})
			}
		}
	}
	for _, a := range s.extraStreams[k] {
		ss = append(ss, streamedAnswer{-1, a})
	}
	return ss
}

// systematic is the rule for one step, over the streamed answers ss:
//
//   - every streamed answer (at least MinStreamed) differs from every
//     plain answer seen for the step, and
//   - either the plain answers (at least 2, twins and extra twins
//     included) all agree — the server is deterministic for this request,
//     so the stream alone disagrees with it — or (at least 3 of them)
//     every plain answer holds its checks and no streamed one does.
//
// A healthy server that is not batch-invariant varies between identical
// requests, plain and streamed alike: its streamed answers then match
// some plain answer, or its plain answers disagree among themselves, and
// the difference is reported as nondeterminism. A model that errs now and
// then can still give a few wrong streamed answers in a row by chance;
// the runner then asks for extra streamed twins (Suspect), which a real
// streaming fault gets wrong every time and chance does not. A serializer
// that corrupts every streamed call (a repeated argument piece, a changed
// value) meets the rule against a deterministic server (first clause) and
// a nondeterministic one (second).
func (s *Scenario) systematic(k int, ss []streamedAnswer) (string, bool) {
	plain := s.plain[k]
	if len(ss) < MinStreamed || len(plain) == 0 {
		return "", false
	}
	plainSigs := map[string]bool{}
	plainOK := true
	for _, p := range plain {
		plainSigs[p.Sig] = true
		plainOK = plainOK && p.ModelOK
	}
	anyOK := false
	for _, x := range ss {
		if plainSigs[x.ans.Sig] {
			return "", false // some streamed answer is a plain one
		}
		anyOK = anyOK || x.ans.ModelOK
	}
	switch {
	case len(plain) >= 2 && len(plainSigs) == 1:
		return fmt.Sprintf("all %d streamed answers differ from the %d non-streamed ones, which agree", len(ss), len(plain)), true
	case len(plain) >= 3 && plainOK && !anyOK:
		return fmt.Sprintf("all %d non-streamed answers pass the checks, none of the %d streamed ones does", len(plain), len(ss)), true
	}
	return "", false
}

// MinStreamed is the fewest streamed answers the stream-equivalence rule
// judges on. Fewer (ACCEPTANCE_TOOLCALL_REPEATS=1 or 2) cannot tell a
// streaming fault from chance, until Suspect's extra twins add to them.
const MinStreamed = 2

// Suspect returns the steps whose streamed answers so far meet the
// stream-equivalence rule. The runner sends extra streamed twins of those
// steps (AddStream) before Close: a streaming fault reproduces on every
// one; a chance run of a model's errors does not.
func (s *Scenario) Suspect() []int {
	var out []int
	judged := make([]Judged, len(s.attempts))
	for i, a := range s.attempts {
		judged[i] = Judged{Attempt: a}
	}
	for k := range s.sc.Steps {
		if _, ok := s.systematic(k, s.streamedAnswers(judged, k)); ok {
			out = append(out, k)
		}
	}
	return out
}

// AddStream records an extra streamed answer to step, sent only to confirm
// a suspect stream. Failed requests are ignored.
func (s *Scenario) AddStream(step int, st Step) {
	if st.Record.OK() {
		s.extraStreams[step] = append(s.extraStreams[step], answerOf(st))
	}
}

func trim(s string) string {
	if s == "" {
		s = "(no call)"
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return "[" + s + "]"
}
