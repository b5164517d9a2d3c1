package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
)

// TestHTMLSelfContained: report.html has the Markdown's content, its charts
// inline as SVG, and refers to no other file, so it opens from a CI
// artifact on its own.
func TestHTMLSelfContained(t *testing.T) {
	m, recs := fixture(t)
	var a, b bytes.Buffer
	require.NoError(t, HTML(&a, m, recs, Options{}))
	require.NoError(t, HTML(&b, m, recs, Options{}))
	assert.Equal(t, a.String(), b.String(), "same inputs, same bytes")
	page := a.String()

	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	assert.Contains(t, page, `<h1 id="vllm-acceptance-report-fail">vLLM acceptance report: FAIL</h1>`)
	assert.Contains(t, page, `<body class="fail">`)
	assert.Less(t, strings.Index(page, `<h2 id="summary">Summary</h2>`), strings.Index(page, `<h2 id="tool-calling">Tool calling</h2>`), "summary first")
	assert.Contains(t, page, "<details><summary>", "passing rows folded")
	assert.Contains(t, page, "<table>", "Markdown tables become HTML tables")

	var md bytes.Buffer
	require.NoError(t, Markdown(&md, m, recs, Options{}))
	for _, h := range regexp.MustCompile(`(?m)^## (.+)$`).FindAllStringSubmatch(md.String(), -1) {
		assert.Regexp(t, `<h2 id="[^"]+">`+regexp.QuoteMeta(h[1])+`</h2>`, page, "every section of report.md is in report.html")
	}
	nCharts := len(charts(m, recs))
	require.Positive(t, nCharts)
	assert.Equal(t, nCharts, strings.Count(page, `<figure class="chart"><svg`), "every chart inline")
	assert.NotContains(t, page, "<?xml", "no XML prolog inside HTML")
	assert.NotRegexp(t, `(src|href)="[^"#]`, page, "nothing fetched from elsewhere")
	assert.NotContains(t, page, "<script", "no script")
	assert.Contains(t, page, "&lt;tool_call&gt;", "markup quoted from a response shows as text")
	assert.NotContains(t, page, "<tool_call>", "and never as a tag")
}

// TestTTFTTrendFollowsTheData: the trend line of a class whose TTFT grows
// linearly runs through its points; a flat class gets a flat line.
func TestTTFTTrendFollowsTheData(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rs []record.Record
	for i := range 10 {
		rs = append(rs,
			record.Record{Class: "long", Start: t0.Add(time.Duration(2*i) * time.Second), Status: 200, TTFTms: 100 + 10*float64(i)},
			record.Record{Class: "short", Start: t0.Add(time.Duration(2*i+1) * time.Second), Status: 200, TTFTms: 50})
	}
	ss := ttftTrend(rs)
	require.Len(t, ss, 4, "points and a trend line per class")
	byName := map[string]series{}
	for _, s := range ss {
		byName[s.name] = s
	}
	long := byName["long trend"].xys
	require.Len(t, long, 2)
	assert.InDelta(t, 100, long[0].Y, 1e-9, "starts at the first request's TTFT")
	assert.InDelta(t, 190, long[1].Y, 1e-9, "ends at the last one's")
	short := byName["short trend"].xys
	assert.InDelta(t, short[0].Y, short[1].Y, 1e-9, "flat")
	assert.Equal(t, byName["long"].color, byName["long trend"].color, "a trend has its class's colour")
}

// TestLatencyCDF: per class, monotone, from 0 to 1, ending at the slowest
// request.
func TestLatencyCDF(t *testing.T) {
	var rs []record.Record
	for _, v := range []float64{30, 10, 20, 40} {
		rs = append(rs, record.Record{Class: "short", Status: 200, E2Ems: v})
	}
	rs = append(rs, record.Record{Class: "long", Status: 200, E2Ems: 500})
	ss := latencyCDF(rs)
	require.Len(t, ss, 2)
	assert.Equal(t, "long (n=1)", ss[0].name)
	short := ss[1].xys
	assert.Equal(t, "short (n=4)", ss[1].name)
	assert.Equal(t, 0.0, short[0].Y)
	assert.Equal(t, 10.0, short[0].X)
	assert.Equal(t, 1.0, short[len(short)-1].Y)
	assert.Equal(t, 40.0, short[len(short)-1].X)
	for i := 1; i < len(short); i++ {
		assert.GreaterOrEqual(t, short[i].X, short[i-1].X)
		assert.GreaterOrEqual(t, short[i].Y, short[i-1].Y)
	}
}
