// Package structured judges structured-output answers: one attempt's
// checks and findings (Judge), and one scenario mode's verdict (Mode).
// Everything here is a pure function of records and fixtures.
package structured

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/toolcheck"
)

// Check names, the keys of the sidecar's checks counts.
const (
	// Answered: a 2xx answer (server).
	Answered = "answered"
	// JSON: the content parses as JSON (server; JSON formats only).
	JSON = "json"
	// Constraint: the answer fits the schema, the choices or the regex
	// (server: the server was asked to enforce it).
	Constraint = "constraint"
	// Channel: the answer is in content, not in the reasoning (server).
	Channel = "content_channel"
	// Values: the values are the ones the prompt asked for (model).
	Values = "values"
	// Stream: the SSE stream was well-formed (server).
	Stream = "stream"
)

// KindOf is the kind of a check: values is the model's, the rest the server's.
func KindOf(name string) diagnosis.Kind {
	if name == Values {
		return diagnosis.KindModel
	}
	return diagnosis.KindServer
}

// Result is the verdict on one attempt.
type Result struct {
	// Checks holds each evaluated check's outcome; a check that could not
	// be evaluated (the answer never came) is absent.
	Checks   map[string]bool
	Findings []diagnosis.Finding
	// NotRun: the suite itself ended the request (interrupted): no
	// verdict, the attempt counts as not run.
	NotRun bool
}

// ServerFault reports a failed server check or a server-kind finding.
func (r Result) ServerFault() bool {
	for n, ok := range r.Checks {
		if !ok && KindOf(n) == diagnosis.KindServer {
			return true
		}
	}
	for _, f := range r.Findings {
		if diagnosis.KindOf(f.Code, "") == diagnosis.KindServer {
			return true
		}
	}
	return false
}

// ModelOK reports that no model check failed and no model finding was made.
func (r Result) ModelOK() bool {
	if ok, in := r.Checks[Values]; in && !ok {
		return false
	}
	for _, f := range r.Findings {
		if diagnosis.KindOf(f.Code, "") == diagnosis.KindModel {
			return false
		}
	}
	return true
}

// featureKeywords are the schema keywords a backend may accept and not
// enforce (vLLM #12028): an answer that breaks only these has the shape
// right and a feature ignored.
var featureKeywords = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
	"minLength", "maxLength", "pattern", "format", "minItems", "maxItems", "uniqueItems", "enum", "const"}

// refusalRe recognises a backend refusing a schema (vLLM
// vllm/v1/structured_output/backend_xgrammar.py validate_xgrammar_grammar:
// "The provided JSON schema contains features not supported by xgrammar.";
// backend_guidance.py, backend_outlines.py and lm-format-enforcer word it
// alike).
var refusalRe = regexp.MustCompile(`(?i)not supported|unsupported|xgrammar|guidance|outlines|lm-format-enforcer|grammar`)

// Judge checks rec, the answer to one request of sc.
func Judge(rec *record.Record, sc *fixture.Structured) Result {
	res := Result{Checks: map[string]bool{}}
	if rec.ErrorKind.Interrupted() {
		res.NotRun = true
		return res
	}
	if !rec.OK() {
		res.Checks[Answered] = false
		res.Findings = failure(rec, sc)
		return res
	}
	res.Checks[Answered] = true
	if rec.Stream {
		res.Checks[Stream] = len(rec.StreamIssues) == 0
		if len(rec.StreamIssues) > 0 {
			res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StreamMalformed, Detail: strings.Join(rec.StreamIssues, "; ")})
		}
	}
	content := strings.TrimSpace(rec.Content)
	value, problem := decode(sc, content)
	if problem != nil && truncated(rec) && unfinished(sc, content) {
		where := "inside the answer"
		if content == "" && strings.TrimSpace(rec.Reasoning) != "" {
			where = "in the reasoning, before the answer began"
		}
		res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StructuredTruncatedMaxTokens,
			Detail: fmt.Sprintf("max_tokens %d ran out %s (finish_reason %s, %d completion tokens): %s", rec.MaxTokens, where, rec.FinishReason, rec.CompletionTokens, oneLine(content, 80))})
		return res
	}
	if problem != nil && content == "" {
		if ans, ok := inReasoning(sc, rec.Reasoning); ok {
			res.Checks[Channel] = false
			res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StructuredInReasoning,
				Detail: "content is empty; the reasoning carries the answer: " + oneLine(ans, 80)})
			return res
		}
	}
	res.Checks[Channel] = content != ""
	if problem != nil {
		if errors.Is(problem, errNotJSON) {
			res.Checks[JSON] = false
			res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StructuredNotJSON, Detail: problem.Error()})
			return res
		}
		if isJSON(sc.Format) {
			res.Checks[JSON] = true
		}
		res.Checks[Constraint] = false
		code := diagnosis.StructuredSchemaViolation
		if errors.Is(problem, errFeature) {
			code = diagnosis.StructuredFeatureIgnored
		}
		res.Findings = append(res.Findings, diagnosis.Finding{Code: code, Detail: problem.Error()})
		return res
	}
	if isJSON(sc.Format) {
		res.Checks[JSON] = true
	}
	res.Checks[Constraint] = true
	if wrong := values(sc, value); len(wrong) > 0 {
		res.Checks[Values] = false
		res.Findings = append(res.Findings, diagnosis.Finding{Code: diagnosis.StructuredWrongValue, Detail: oneLine(strings.Join(wrong, "; "), 160)})
	} else if sc.Expect != nil || sc.ExpectText != nil || sc.Format == fixture.FormatJSONObject && sc.Schema != nil {
		res.Checks[Values] = true
	}
	return res
}

func isJSON(format string) bool {
	return format == fixture.FormatJSONSchema || format == fixture.FormatJSONObject
}

var printer = message.NewPrinter(language.English)

var (
	errNotJSON = errors.New("not JSON")
	errFeature = errors.New("feature ignored")
)

// decode reads content under sc's constraint: the decoded value, or why
// it breaks the constraint (wrapping errNotJSON or errFeature).
func decode(sc *fixture.Structured, content string) (any, error) {
	switch sc.Format {
	case fixture.FormatChoice:
		if !slices.Contains(sc.Choice, content) {
			return nil, fmt.Errorf("%q is not one of the choices %v", oneLine(content, 60), sc.Choice)
		}
		return content, nil
	case fixture.FormatRegex:
		if !sc.AnchoredRegex().MatchString(content) {
			return nil, fmt.Errorf("%q does not match the regex %s", oneLine(content, 60), sc.Regex)
		}
		return content, nil
	}
	var v any
	if err := json.Unmarshal([]byte(content), &v); err != nil {
		return nil, fmt.Errorf("%w: %q (%v)", errNotJSON, oneLine(content, 60), err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("the answer is JSON but not an object: %s", oneLine(content, 60))
	}
	if sc.Format != fixture.FormatJSONSchema || sc.CompiledSchema() == nil {
		return v, nil
	}
	if err := sc.CompiledSchema().Validate(v); err != nil {
		leaves, features := schemaLeaves(err)
		if features {
			return nil, fmt.Errorf("%w: %s", errFeature, strings.Join(leaves, "; "))
		}
		return nil, errors.New(strings.Join(leaves, "; "))
	}
	return v, nil
}

// schemaLeaves lists the leaf errors of a validation error, each one
// line, and whether every one is a feature keyword's.
func schemaLeaves(err error) ([]string, bool) {
	leaves, ok := toolcheck.SchemaLeaves(err)
	if !ok {
		return []string{oneLine(err.Error(), 120)}, false
	}
	var out []string
	features := true
	for _, e := range leaves {
		kp := e.ErrorKind.KeywordPath()
		kw := ""
		if len(kp) > 0 {
			kw = kp[len(kp)-1]
		}
		if !slices.Contains(featureKeywords, kw) {
			features = false
		}
		loc := "/" + strings.Join(e.InstanceLocation, "/")
		line := loc + ": " + e.ErrorKind.LocalizedString(printer)
		if kw != "" {
			line += " (" + kw + ")"
		}
		out = append(out, oneLine(line, 120))
	}
	if len(out) == 0 {
		return []string{oneLine(err.Error(), 120)}, false
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more", len(out)-3))
	}
	return out, features
}

// values checks the model's values against the fixture's expectations.
func values(sc *fixture.Structured, v any) []string {
	var wrong []string
	switch x := v.(type) {
	case string:
		if sc.ExpectText != nil {
			if p := toolcheck.MatchValue(*sc.ExpectText, x); p != "" {
				wrong = append(wrong, p)
			}
		}
	case map[string]any:
		if sc.Format == fixture.FormatJSONObject && sc.CompiledSchema() != nil {
			if err := sc.CompiledSchema().Validate(x); err != nil {
				leaves, _ := schemaLeaves(err)
				wrong = append(wrong, leaves...)
			}
		}
		keys := make([]string, 0, len(sc.Expect))
		for k := range sc.Expect {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			got, ok := x[k]
			if !ok {
				wrong = append(wrong, "missing "+k)
				continue
			}
			if p := toolcheck.MatchValue(sc.Expect[k], got); p != "" {
				wrong = append(wrong, k+": "+p)
			}
		}
	}
	return wrong
}

// truncated: the budget ran out (finish_reason length, or the completion
// at the budget).
func truncated(rec *record.Record) bool {
	return rec.FinishReason == "length" || (rec.MaxTokens > 0 && rec.CompletionTokens >= rec.MaxTokens)
}

// unfinished reports whether content, cut by max_tokens, could still
// have become an answer under sc's constraint: empty, a prefix of JSON
// (the decoder ran out of input, it found no wrong character), or a
// prefix of a choice. A regex answer cannot be tested for a prefix, so a
// cut one counts as unfinished. Text that already broke the constraint
// before the budget ran out is the server's (not JSON, outside the
// choices), never the budget's: a cut at max_tokens does not excuse it.
func unfinished(sc *fixture.Structured, content string) bool {
	if content == "" {
		return true
	}
	switch sc.Format {
	case fixture.FormatChoice:
		return slices.ContainsFunc(sc.Choice, func(c string) bool { return strings.HasPrefix(c, content) })
	case fixture.FormatRegex:
		return true
	}
	d := json.NewDecoder(strings.NewReader(content))
	for {
		_, err := d.Token()
		switch {
		case err == nil:
		case err == io.EOF, errors.Is(err, io.ErrUnexpectedEOF):
			return true
		default:
			return false
		}
	}
}

// inReasoning finds the constrained answer at the end of the reasoning:
// its last JSON object, or its last line (a choice or regex answer).
func inReasoning(sc *fixture.Structured, reasoning string) (string, bool) {
	reasoning = strings.TrimSpace(reasoning)
	if reasoning == "" {
		return "", false
	}
	lines := strings.Split(reasoning, "\n")
	for _, cand := range []string{lastJSON(reasoning), strings.TrimSpace(lines[len(lines)-1])} {
		if _, p := decode(sc, cand); p == nil {
			return cand, true
		}
	}
	return "", false
}

// lastJSON is the last {...} object in s (a reasoning that ends with the
// answer), or s trimmed.
func lastJSON(s string) string {
	s = strings.TrimSpace(s)
	end := strings.LastIndex(s, "}")
	if end < 0 {
		return s
	}
	for start := strings.LastIndex(s[:end], "{"); start >= 0; start = strings.LastIndex(s[:start], "{") {
		if json.Valid([]byte(s[start : end+1])) {
			return s[start : end+1]
		}
		if start == 0 {
			break
		}
	}
	return s
}

// failure classifies a request that got no answer: a 5xx is a structured
// server error, a 400 naming a backend or an unsupported feature is a
// refused feature, the rest as any transport failure.
func failure(rec *record.Record, sc *fixture.Structured) []diagnosis.Finding {
	msg := diagnosis.ErrorMessage(rec.Body)
	switch {
	case rec.Status >= 500:
		return []diagnosis.Finding{{Code: diagnosis.StructuredServerError, Detail: oneLine(fmt.Sprintf("HTTP %d on a %s request: %s", rec.Status, sc.Format, msg), 160)}}
	case rec.Status == http.StatusBadRequest && refusalRe.MatchString(msg+rec.Body):
		feat := strings.Join(sc.Features, ", ")
		if feat == "" {
			feat = sc.Format
		}
		return []diagnosis.Finding{{Code: diagnosis.StructuredFeatureRefused, Detail: oneLine(fmt.Sprintf("the backend refused %s: HTTP 400: %s; set --structured-outputs-config '{\"backend\": ...}' (or --guided-decoding-backend) to one that supports it", feat, msg), 200)}}
	}
	return diagnosis.Transport(rec)
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
