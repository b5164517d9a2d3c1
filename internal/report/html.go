package report

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	gmhtml "github.com/yuin/goldmark/renderer/html"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// HTML writes report.html: the same content as report.md (it is rendered
// from it), in one self-contained file with the charts inline as SVG, no
// script and nothing fetched, because that is what people open from a CI
// artifact.
//
// The Markdown carries no raw HTML of a server's making: every string from
// a response or a sidecar goes through mdText, which escapes "<". The only
// raw HTML is the report's own <details> blocks.
func HTML(w io.Writer, m *sidecar.Metrics, recs []record.Record, opt Options) error {
	var md bytes.Buffer
	if err := MarkdownWith(&md, m, recs, opt); err != nil {
		return err
	}
	conv := goldmark.New(
		goldmark.WithExtensions(extension.Table),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()), // #stability etc. link to a section
		goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
	)
	var body bytes.Buffer
	if err := conv.Convert(md.Bytes(), &body); err != nil {
		return fmt.Errorf("render report.html: %w", err)
	}
	svgs := map[string]string{}
	for _, c := range charts(m, recs) {
		svg, err := renderSVG(c)
		if err != nil {
			return fmt.Errorf("chart %s: %w", c.file, err)
		}
		svgs[c.file] = inlineSVG(svg, c.title)
	}
	// The capacity chart is drawn apart (two panels, its own markers), and
	// inlined like the others: report.html references no file.
	if ss := capacitySeries(m, recs); len(ss) > 0 {
		svg, err := renderCapacity(m, ss)
		if err != nil {
			return fmt.Errorf("chart %s: %w", capacityFile, err)
		}
		svgs[capacityFile] = inlineSVG(svg, capacityTitle)
	}
	out := imgTag.ReplaceAllStringFunc(body.String(), func(tag string) string {
		sub := imgTag.FindStringSubmatch(tag)
		if svg, ok := svgs[html.UnescapeString(sub[1])]; ok {
			return `<figure class="chart">` + svg + `</figure>`
		}
		return tag
	})
	verdict := "FAIL"
	if Passed(m) {
		verdict = "PASS"
	}
	_, err := fmt.Fprintf(w, htmlPage, verdict, html.EscapeString(m.Target.Model), strings.ToLower(verdict), out)
	return err
}

// imgTag is how goldmark writes ![title](file.svg).
var imgTag = regexp.MustCompile(`<img src="([^"]+\.svg)" alt="([^"]*)"\s*/?>`)

var (
	xmlProlog = regexp.MustCompile(`(?s)^.*?(<svg\b)`)
	svgSize   = regexp.MustCompile(`<svg\b[^>]*?\bwidth="([0-9.]+)(?:pt|px)?"[^>]*?\bheight="([0-9.]+)(?:pt|px)?"`)
)

// inlineSVG makes a chart fit for an HTML page: no XML prolog, a viewBox
// so CSS can scale it, and a title for screen readers.
func inlineSVG(svg []byte, title string) string {
	s := xmlProlog.ReplaceAllString(string(svg), "$1")
	if !strings.Contains(s[:min(len(s), 400)], "viewBox") {
		if m := svgSize.FindStringSubmatch(s); m != nil {
			s = strings.Replace(s, "<svg", fmt.Sprintf(`<svg viewBox="0 0 %s %s"`, m[1], m[2]), 1)
		}
	}
	return strings.Replace(s, "<svg", `<svg role="img" aria-label="`+html.EscapeString(title)+`"`, 1)
}

const htmlPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>vLLM acceptance: %s (%s)</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; max-width: 1200px; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.8em; border-bottom: 3px solid; padding-bottom: .2em; }
body.pass h1 { border-color: #1a7f37; } body.fail h1 { border-color: #cf222e; }
h2 { margin-top: 2em; border-bottom: 1px solid #d0d7de; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .8em 0; font-size: 13px; display: block; overflow-x: auto; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; vertical-align: top; }
th { background: #f6f8fa; text-align: left; }
tr:nth-child(even) td { background: #fafbfc; }
code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; font-size: 90%%; }
strong { color: #cf222e; }
blockquote { margin: 1em 0; padding: .5em 1em; border-left: 4px solid #d4a72c; background: #fff8c5; }
details { margin: .5em 0 1em; } summary { cursor: pointer; color: #0969da; }
figure.chart { margin: 1em 0; } figure.chart svg { width: 100%%; height: auto; max-width: 1000px; display: block; }
</style>
</head>
<body class="%s">
%s</body>
</html>
`
