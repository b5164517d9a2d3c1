package toolcheck

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
)

// Standardize is BFCL's string normalisation (berkeley-function-call-leaderboard,
// bfcl/eval_checker/ast_eval/ast_checker.py, standardize_string): remove
// spaces and the punctuation , . / - _ * ^, lower-case, and turn single
// quotes into double quotes, so "April 1, 2024" equals "april 1 2024".
func Standardize(s string) string {
	s = bfclStrip.ReplaceAllString(s, "")
	return strings.ReplaceAll(strings.ToLower(s), "'", `"`)
}

var bfclStrip = regexp.MustCompile(`[ ,./\-_*^]`)

// Equal compares a fixture value with a decoded argument the way an Equals
// matcher does: strings after Standardize, numbers by value (3 equals 3.0),
// booleans and null exactly, objects (same keys) and arrays (same length,
// same order) recursively.
func Equal(want, got any) bool { return equal(want, got, true) }

// equal is Equal, or byte-exact strings when loose is false (Exact).
func equal(want, got any, loose bool) bool {
	if wn, ok := number(want); ok {
		gn, ok := number(got)
		return ok && wn == gn
	}
	switch w := want.(type) {
	case string:
		g, ok := got.(string)
		if !ok {
			return false
		}
		if loose {
			return Standardize(w) == Standardize(g)
		}
		return w == g
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !equal(wv, gv, loose) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !equal(w[i], g[i], loose) {
				return false
			}
		}
		return true
	case nil:
		return got == nil
	}
	return reflect.DeepEqual(want, got)
}

// number returns v as float64 when it is any Go number or a json.Number.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}

// jsonType names v's JSON type: string, number, boolean, object, array, null.
func jsonType(v any) string {
	if _, ok := number(v); ok {
		return "number"
	}
	switch v.(type) {
	case string:
		return "string"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// isType reports whether v has the JSON Schema type t ("integer": a number
// with no fractional part).
func isType(v any, t string) bool {
	if t == "integer" {
		n, ok := number(v)
		return ok && n == math.Trunc(n) && !math.IsInf(n, 0)
	}
	return jsonType(v) == t
}

// show formats a value for a one-line message: strings bare, the rest as JSON.
func show(v any) string {
	if s, ok := v.(string); ok {
		return capShown(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return capShown(fmt.Sprint(v))
	}
	return capShown(string(b))
}

// shownMax caps a value quoted in a finding: a server that sends a
// megabyte of arguments still gets a one-line reason.
const shownMax = 200

func capShown(s string) string {
	if len(s) <= shownMax {
		return s
	}
	n := shownMax
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return fmt.Sprintf("%s… (%d bytes)", s[:n], len(s))
}

var regexCache sync.Map // string -> *regexp.Regexp or error

func compileRegex(expr string) (*regexp.Regexp, error) {
	if v, ok := regexCache.Load(expr); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		regexCache.Store(expr, err)
		return nil, err
	}
	regexCache.Store(expr, re)
	return re, nil
}

// matchValue checks one present argument against its matcher; it returns ""
// when it matches, else the message without the parameter name, e.g.
// "want one of [celsius c], got kelvin" or "want string, got number".
//
// A matcher with no form set (the YAML shorthand "param: null" or "param:
// {}" never gets here: fixture rejects it, but a Go-built Matcher may) only
// requires the parameter to be present.
func matchValue(m fixture.Matcher, got any) string {
	wrongType := func(want string) string { return fmt.Sprintf("want %s, got %s", want, jsonType(got)) }
	switch {
	case m.Equals != nil:
		if wt, gt := jsonType(m.Equals), jsonType(got); wt != gt {
			return wrongType(wt)
		}
		if !equal(m.Equals, got, true) {
			return fmt.Sprintf("want %s, got %s", show(m.Equals), show(got))
		}
	case m.Exact != nil:
		if wt, gt := jsonType(m.Exact), jsonType(got); wt != gt {
			return wrongType(wt)
		}
		if !equal(m.Exact, got, false) {
			return fmt.Sprintf("want exactly %q, got %q", show(m.Exact), show(got))
		}
	case m.IEquals != nil:
		g, ok := got.(string)
		if !ok {
			return wrongType("string")
		}
		if !strings.EqualFold(*m.IEquals, g) {
			return fmt.Sprintf("want %s (any case), got %s", *m.IEquals, capShown(g))
		}
	case m.OneOf != nil:
		for _, w := range m.OneOf {
			if equal(w, got, true) {
				return ""
			}
		}
		opts := make([]string, len(m.OneOf))
		for i, w := range m.OneOf {
			opts[i] = show(w)
		}
		return fmt.Sprintf("want one of [%s], got %s", strings.Join(opts, " "), show(got))
	case m.Number != nil:
		g, ok := number(got)
		if !ok {
			return wrongType("number")
		}
		if math.Abs(g-*m.Number) > m.Tolerance || math.IsNaN(g) {
			return fmt.Sprintf("want %s±%s, got %s", show(*m.Number), show(m.Tolerance), show(got))
		}
	case m.Regex != "":
		g, ok := got.(string)
		if !ok {
			return wrongType("string")
		}
		re, err := compileRegex(m.Regex)
		if err != nil {
			return fmt.Sprintf("fixture regex %q does not compile: %v", m.Regex, err)
		}
		if !re.MatchString(g) {
			return fmt.Sprintf("want a match for /%s/, got %s", m.Regex, capShown(g))
		}
	case m.Type != "":
		if !isType(got, m.Type) {
			return wrongType(m.Type)
		}
	}
	return ""
}

// argProblems lists what is wrong with one call's arguments against one
// expected call: missing parameters, unexpected ones (unless AllowExtra),
// wrong types and wrong values, one line each, in parameter order.
func argProblems(e fixture.ExpectedCall, args map[string]any) []string {
	var out []string
	keys := slices.Sorted(maps.Keys(e.Args))
	for _, k := range keys {
		m := e.Args[k]
		v, present := args[k]
		switch {
		case m.Absent && present:
			out = append(out, fmt.Sprintf("unexpected parameter %s (want it absent), got %s", k, show(v)))
		case m.Absent:
		case !present:
			out = append(out, "missing parameter "+k)
		default:
			if msg := matchValue(m, v); msg != "" {
				out = append(out, k+": "+msg)
			}
		}
	}
	if !e.AllowExtra {
		extra := make([]string, 0)
		for k := range args {
			if _, listed := e.Args[k]; !listed {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			out = append(out, "unexpected parameter "+k)
		}
	}
	return out
}
