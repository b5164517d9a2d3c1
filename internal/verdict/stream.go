package verdict

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
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
		if !held && name != "stream" {
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
// ones systematically, and returns the most distinct answers seen for one
// step (plain and streamed together; 1 means the server was deterministic).
//
// The rule, per step, over the attempts that reached it:
//
//   - every streamed answer (at least 2) differs from every plain answer
//     seen for the step, and
//   - either the plain answers (at least 2, twins and extra twins
//     included) all agree — the server is deterministic for this request,
//     so the stream alone disagrees with it — or (at least 3 of each)
//     every plain answer holds its model checks and no streamed one does.
//
// A healthy server that is not batch-invariant varies between identical
// requests, plain and streamed alike: its streamed answers then match
// some plain answer, or its plain answers disagree among themselves, and
// neither clause fires; the difference is reported as nondeterminism. A
// serializer that corrupts every streamed call (a repeated argument
// piece, a changed value) fires the first clause against a deterministic
// server and the second against a nondeterministic one.
func (s *Scenario) streamEquivalence(judged []Judged) int {
	most := 0
	steps := len(s.sc.Steps)
	for k := 0; k < steps; k++ {
		plain := s.plain[k]
		seen := map[string]bool{}
		plainSigs := map[string]bool{}
		plainModelOK := true
		for _, p := range plain {
			seen[p.Sig], plainSigs[p.Sig] = true, true
			plainModelOK = plainModelOK && p.ModelOK
		}
		type streamed struct {
			at  int
			ans Answer
		}
		var ss []streamed
		if s.stream {
			for i, j := range judged {
				for _, st := range j.Steps {
					if st.Record.Step == k && st.Record.OK() {
						a := answerOf(st)
						ss = append(ss, streamed{i, a})
						seen[a.Sig] = true
					}
				}
			}
		}
		most = max(most, len(seen))
		if len(ss) < 2 || len(plain) == 0 {
			continue
		}
		explained, anyModelOK := false, false
		for _, x := range ss {
			explained = explained || plainSigs[x.ans.Sig]
			anyModelOK = anyModelOK || x.ans.ModelOK
		}
		if explained {
			continue // some streamed answer is a plain one
		}
		if deterministic := len(plain) >= 2 && len(plainSigs) == 1; deterministic || (len(plain) >= 3 && len(ss) >= 3 && plainModelOK && !anyModelOK) {
			why := fmt.Sprintf("the %d non-streamed answers agree", len(plain))
			if !deterministic {
				why = fmt.Sprintf("all %d non-streamed answers pass the checks, no streamed one does", len(plain))
			}
			for _, x := range ss {
				d := fmt.Sprintf("step %d: every streamed answer differs from every non-streamed one and %s: streamed %s vs non-streamed %s",
					k, why, trim(x.ans.Sig), trim(plain[0].Sig))
				judged[x.at].Server = append(judged[x.at].Server, diagnosis.Finding{Code: diagnosis.StreamMismatch, Detail: d})
			}
		}
	}
	return most
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
