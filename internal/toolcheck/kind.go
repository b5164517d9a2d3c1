package toolcheck

import "github.com/vllm-acceptance/vllm-acceptance/internal/diagnosis"

// Stream is the check of a streamed answer's structure (set by the runner,
// from the client's stream issues).
const Stream = "stream"

// Kind says whether a failed check is a server fault or the model's
// behaviour, under the scenario's tool_choice. It follows
// diagnosis.KindOf: what guided decoding makes certain under "required"
// or a named choice (a call, an offered name, JSON that fits the schema)
// is the server's to deliver; under "auto" whether and what to call is the
// model's choice. Argument values, the absence of a call where none is
// wanted, and final answers are always the model's; finish reasons and
// stream structure always the server's.
func Kind(name, toolChoice string) diagnosis.Kind {
	switch name {
	case Parsed:
		return diagnosis.KindOf(diagnosis.NoToolCall, toolChoice)
	case JSONValid:
		return diagnosis.KindOf(diagnosis.InvalidJSONArguments, toolChoice)
	case SchemaValid:
		return diagnosis.KindOf(diagnosis.SchemaViolation, toolChoice)
	case ArgsMatch, NoCall, Answer:
		return diagnosis.KindModel
	}
	return diagnosis.KindServer
}
