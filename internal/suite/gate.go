package suite

// GateOrder is the order in which the gate runs its areas: the top-level
// Test functions of acceptance/gate_test.go, which go test runs in source
// order. The declared configuration (ACCEPTANCE_EXPECT_CONFIG) is
// checked in the preflight and reported first. Of the areas, tool calling
// comes first (the seed's first question: a deadline or a signal that
// cuts the run must never leave it unjudged while capacity was measured),
// with structured outputs and the API contract beside it; then stability, concurrency and the
// conversation; then capacity, and tool calling under load, which needs
// the capacity. TestGateOrder (internal/selftest) holds go test -list to
// it, and docs/verdicts.md ("The gate's order") states it.
var GateOrder = []string{
	"TestExpectedConfig",
	"TestToolCalling",
	"TestToolCallingModelRates",
	"TestStructuredOutputs",
	"TestContract",
	"TestStability",
	"TestConcurrency",
	"TestConversation",
	"TestCapacity",
	"TestToolCallingUnderLoad",
	"TestStructuredOutputsUnderLoad",
}
