package diagnosis

import (
	"regexp"
	"strings"
)

// Finding is one diagnosis of one request: a code and one short line saying
// what exactly was seen (the leaked markup, the budget that ran out, ...).
type Finding struct {
	Code Code `json:"code"`
	// Detail is a single line, at most about 120 characters of quoted
	// response text plus context; empty when the code says it all.
	Detail string `json:"detail,omitempty"`
}

// Expectation is what the request asked for, so Response can tell a missing
// call from a refusal that was wanted.
type Expectation struct {
	// WantCall: the step expects at least one tool call.
	WantCall bool
	// Offered are the function names sent in tools; empty means "don't check".
	Offered []string
	// ToolChoice as sent: "auto" (or ""), "required", "none", or a function
	// name for a named choice.
	ToolChoice string
	// MaxTokens is the budget sent; 0 falls back to the record's MaxTokens.
	MaxTokens int
}

// detailMax is how much quoted response text a Detail carries.
const detailMax = 120

// spaceRe collapses whitespace runs in a Detail.
var spaceRe = regexp.MustCompile(`\s+`)

func one(c Code, detail string) []Finding { return []Finding{{Code: c, Detail: detail}} }

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// snippet is s on one line (whitespace runs collapsed), cut to detailMax.
func snippet(s string) string { return oneLine(s, detailMax) }

// line is s on one line, capped at twice detailMax: a message the client
// already wrote, which quotes at most detailMax of the body itself.
func line(s string) string { return oneLine(s, 2*detailMax) }

// oneLine is s with whitespace runs collapsed, cut on a rune boundary to at
// most max bytes with "…" appended when cut.
func oneLine(s string, max int) string {
	s = strings.TrimSpace(spaceRe.ReplaceAllString(s, " "))
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// snippetFrom is snippet of s starting at byte i.
func snippetFrom(s string, i int) string {
	if i < 0 || i > len(s) {
		i = 0
	}
	return snippet(s[i:])
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// Snippet is the one-line, length-capped form used in Details, for callers
// that quote response text next to a Finding.
func Snippet(s string) string { return snippet(s) }
