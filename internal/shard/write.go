package shard

import (
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
	"github.com/vllm-acceptance/vllm-acceptance/internal/suite"
)

// Write puts the merged run in out: metrics.json (atomically),
// requests.jsonl (the main part's lines, then every shard's, shard by shard,
// each line marked with its shard by the shard that wrote it) and junit.xml (one case per
// run and scenario, failures carrying the same messages the live suite
// prints).
func Write(out string, set *Set, m *sidecar.Metrics) error {
	parts := set.Shards
	if set.Main != nil {
		parts = append([]Part{*set.Main}, parts...)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	if err := sidecar.Write(filepath.Join(out, "metrics.json"), m); err != nil {
		return err
	}
	if err := concatRequests(filepath.Join(out, "requests.jsonl"), parts); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(out, "junit.xml"))
	if err != nil {
		return err
	}
	if err := WriteJUnit(f, m); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func concatRequests(path string, parts []Part) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, p := range parts {
		in, err := os.Open(filepath.Join(p.Dir, "requests.jsonl"))
		if errors.Is(err, os.ErrNotExist) {
			continue // a shard that wrote no request
		}
		if err != nil {
			f.Close()
			return err
		}
		_, err = io.Copy(w, in)
		in.Close()
		if err != nil {
			f.Close()
			return fmt.Errorf("%s/requests.jsonl: %w", p.Dir, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// junitPackage is the classname gotestsum gives the live suite's cases.
const junitPackage = "github.com/vllm-acceptance/vllm-acceptance/acceptance"

// WriteJUnit writes the merged run as JUnit XML.
func WriteJUnit(w io.Writer, m *sidecar.Metrics) error {
	s := junitSuite{Name: junitPackage, Time: fmt.Sprintf("%.3f", m.FinishedAt.Sub(m.StartedAt).Seconds())}
	add := func(name string, secs float64, failure string) {
		c := junitCase{Classname: junitPackage, Name: name, Time: fmt.Sprintf("%.3f", secs)}
		if failure != "" {
			first, _, _ := strings.Cut(failure, "\n")
			c.Failure = &junitFailure{Message: first, Text: failure}
			s.Failures++
		}
		s.Cases = append(s.Cases, c)
		s.Tests++
	}
	if tc := m.ToolCalling; tc != nil {
		for _, sc := range tc.Scenarios {
			name := sc.Test
			if name == "" {
				name = "TestToolCalling/" + sc.Name + "/" + sc.Mode
			}
			add(name, 0, scenarioFailure(sc))
		}
	}
	if st := m.Stability; st != nil {
		for _, r := range st.Runs {
			add("TestStability/"+r.Name, r.DurationS, failure(r.Verdict, func() string { return suite.LoadFailure(r) }))
		}
	}
	if cc := m.Concurrency; cc != nil {
		for _, r := range cc.Runs {
			add("TestConcurrency/"+r.Name, r.DurationS, failure(r.Verdict, func() string { return suite.LoadFailure(r) }))
		}
	}
	if cv := m.Conversation; cv != nil {
		for _, r := range cv.Runs {
			add("TestConversation/"+r.Name, 0, failure(r.Verdict, func() string { return suite.LoadFailure(r) }))
		}
	}
	doc := junitSuites{Tests: s.Tests, Failures: s.Failures, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit.xml: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func failure(verdict string, msg func() string) string {
	if verdict == "pass" {
		return ""
	}
	return msg()
}

func scenarioFailure(sc sidecar.Scenario) string {
	if sc.Verdict == "pass" {
		return ""
	}
	why := ""
	if sc.FailedOn != "" {
		why = ", failed on " + sc.FailedOn + " checks"
	}
	lines := []string{fmt.Sprintf("%s [%s]: %d/%d attempts passed%s; %d with a server fault; model checks %d/%d over the scenario (verdict %s)",
		sc.Name, sc.Mode, sc.Passed, sc.Attempts, why, sc.ServerFailures, sc.ScenarioModel.Passed, sc.ScenarioModel.Attempts, sc.ScenarioModel.Verdict)}
	for _, d := range sc.Diagnoses {
		line := fmt.Sprintf("  %s (%s) ×%d: %s", d.Code, d.Kind, d.Count, d.Message)
		if d.Remedy != "" {
			line += " → fix: " + d.Remedy
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}
