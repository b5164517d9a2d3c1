package suite

// maxTokens is the budget of one tool-calling request: the scenario's own,
// raised to ACCEPTANCE_THINKING_MAX_TOKENS when thinking is on (a thinking
// model spends much of its budget before it answers; a healthy server must
// not fail for a budget the fixture chose without thinking in mind).
// thinkingMax 0 keeps the scenario's budget. A scenario without a budget
// (0) sends none, thinking or not.
func maxTokens(scenario int, think string, thinkingMax int) int {
	if think == "on" && scenario > 0 && thinkingMax > scenario {
		return thinkingMax
	}
	return scenario
}
