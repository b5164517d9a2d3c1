package sidecar

// Passed is the run's one verdict, the one report, rank and the suite's
// exit code all use: the run is complete, the go test cases passed
// (TestsPassed, when recorded), and every section it has passed. GPU
// checks count only where a GPU was seen.
func (m *Metrics) Passed() bool {
	if m == nil || !m.Complete {
		return false
	}
	if m.TestsPassed != nil && !*m.TestsPassed {
		return false
	}
	for _, ok := range m.SectionVerdicts() {
		if !ok {
			return false
		}
	}
	return true
}

// SectionVerdicts is the verdict of each section the run has, by the name
// report prints: "tool calling", "stability", "concurrency",
// "conversation", "GPU".
func (m *Metrics) SectionVerdicts() map[string]bool {
	out := map[string]bool{}
	if m.ToolCalling != nil {
		out["tool calling"] = m.ToolCalling.Passed
	}
	if m.Stability != nil {
		out["stability"] = m.Stability.Passed
	}
	if m.Concurrency != nil {
		out["concurrency"] = m.Concurrency.Passed
	}
	if m.Conversation != nil {
		out["conversation"] = m.Conversation.Passed
	}
	if g := m.GPU; g != nil {
		ok := true
		if g.Available {
			for _, c := range g.Checks {
				ok = ok && (c.Passed || c.Skipped)
			}
		}
		out["GPU"] = ok
	}
	return out
}
