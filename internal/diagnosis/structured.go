package diagnosis

// Codes of structured outputs and the API contract (issue 27). Each is a
// server fault unless KindOf says otherwise (structured_wrong_value and
// structured_truncated_max_tokens are the model's). docs/verdicts.md says
// what vLLM does for each, with the source file.
const (
	// StructuredNotJSON: under a JSON format the server was asked to
	// enforce, content does not parse as JSON (or, under choice and
	// regex, is empty).
	StructuredNotJSON Code = "structured_not_json"
	// StructuredSchemaViolation: the answer parses but breaks the
	// constraint (a required field missing, a wrong type, an extra
	// property under additionalProperties false, not one of the choices,
	// not matching the regex).
	StructuredSchemaViolation Code = "structured_schema_violation"
	// StructuredFeatureIgnored: the answer fits the schema's shape but
	// breaks only a feature keyword (minimum, maxLength, enum, pattern,
	// ...): the backend accepted the schema and silently did not enforce
	// that feature (vLLM #12028).
	StructuredFeatureIgnored Code = "structured_feature_ignored"
	// StructuredInReasoning: the constrained answer came back in
	// reasoning / reasoning_content and content is empty or not the
	// answer (vLLM #44012: a reasoning parser and structured outputs).
	StructuredInReasoning Code = "structured_in_reasoning"
	// StructuredServerError: HTTP 5xx on a structured-output request
	// (vLLM #51693: "grammar rejected tokens" once the JSON is complete).
	StructuredServerError Code = "structured_server_error"
	// StructuredNextRequestWorse: a plain request sent right after
	// structured-output requests failed, while the same request succeeded
	// before them (vLLM #4070: a response_format request crashed the
	// engine for every later request).
	StructuredNextRequestWorse Code = "structured_next_request_worse"
	// StructuredWrongValue: the answer fits the constraint, but its values
	// are not the ones the prompt asked for (the model's).
	StructuredWrongValue Code = "structured_wrong_value"
	// StructuredTruncatedMaxTokens: finish_reason length (or completion
	// tokens at the budget) with the JSON unfinished: max_tokens ran out
	// inside the answer.
	StructuredTruncatedMaxTokens Code = "structured_truncated_max_tokens"
	// StructuredFeatureRefused: HTTP 400 for a schema feature the
	// structured-output backend does not support.
	StructuredFeatureRefused Code = "structured_feature_refused"

	// ContractPromptTokens: usage.prompt_tokens differs from what the
	// server's own /tokenize counts for the same messages and template.
	ContractPromptTokens Code = "contract_prompt_tokens"
	// ContractStreamUsage: a streamed answer's usage differs from its
	// chunks, or from the non-streamed answer to the same request.
	ContractStreamUsage Code = "contract_stream_usage"
	// ContractParamAccepted: an out-of-range parameter was answered 200
	// (clamped or ignored silently) instead of HTTP 400.
	ContractParamAccepted Code = "contract_param_accepted"
	// ContractParamServerError: an out-of-range parameter was answered
	// with a 5xx instead of HTTP 400.
	ContractParamServerError Code = "contract_param_server_error"
	// ContractErrorShape: HTTP 400, but the body is not an OpenAI-shaped
	// error naming the parameter.
	ContractErrorShape Code = "contract_error_shape"
	// ContractUnhealthyAfterRefusal: a healthy request right after a
	// refused one failed.
	ContractUnhealthyAfterRefusal Code = "contract_unhealthy_after_refusal"
)

// FeatureRemedy is the remedy of structured_feature_refused, naming the
// backend flags of both vLLM generations.
const FeatureRemedy = "choose a structured-output backend that supports the feature: --structured-outputs-config '{\"backend\": \"guidance\"}' (vLLM >= 0.10.2; xgrammar, guidance, outlines, lm-format-enforcer) or --guided-decoding-backend guidance (older vLLM), or drop the feature from the schema"

func init() {
	for c, i := range map[Code]Info{
		StructuredNotJSON: {
			Seen:   "under response_format json_schema/json_object (or structured_outputs) the content is not JSON",
			Remedy: "structured outputs are not applied: check that this vLLM version honours response_format / structured_outputs and that no proxy strips it; pin a version whose structured outputs work",
		},
		StructuredSchemaViolation: {
			Seen:   "the constrained answer parses but breaks the schema (missing required field, wrong type, extra property, not a listed choice, regex not matched)",
			Remedy: "the backend does not enforce this schema: try --structured-outputs-config '{\"backend\": \"xgrammar\"}' or \"guidance\" (--guided-decoding-backend on older vLLM), and pin a vLLM version whose structured outputs pass",
		},
		StructuredFeatureIgnored: {
			Seen:   "the answer fits the schema's shape but breaks one feature keyword (minimum, maximum, minLength, maxLength, pattern, enum): the backend ignored it silently",
			Remedy: FeatureRemedy,
		},
		StructuredInReasoning: {
			Seen:   "the constrained JSON came back in reasoning / reasoning_content, content empty (reasoning parser and structured outputs, vLLM #44012)",
			Remedy: "known reasoning-parser interaction: upgrade vLLM, or disable thinking (chat_template_kwargs.enable_thinking=false) for structured requests",
		},
		StructuredServerError: {
			Seen:   "HTTP 5xx on a structured-output request (e.g. \"grammar rejected tokens\", vLLM #51693)",
			Remedy: "a structured-output backend bug: read the server log for the request id, try another backend (--structured-outputs-config / --guided-decoding-backend) or pin a fixed vLLM version",
		},
		StructuredNextRequestWorse: {
			Seen:   "a plain request after structured-output requests failed, though it succeeded before them (the engine broke, vLLM #4070)",
			Remedy: "structured outputs take the engine down: do not promote; pin a vLLM version without the bug or switch the structured-output backend",
		},
		StructuredWrongValue: {
			Seen:   "the answer fits the constraint but its values are not what the prompt asked for",
			Remedy: "the model's answer: check the prompt and the model; compare the rate with the baseline",
		},
		StructuredTruncatedMaxTokens: {
			Seen:   "max_tokens ran out inside the constrained answer (finish_reason length, JSON unfinished)",
			Remedy: "raise max_tokens (the detail names the budget that ran out), or disable thinking for structured requests",
		},
		StructuredFeatureRefused: {
			Seen:   "HTTP 400: the structured-output backend refuses a schema feature (the detail names it)",
			Remedy: FeatureRemedy,
		},
		ContractPromptTokens: {
			Seen:   "usage.prompt_tokens differs from the server's own /tokenize count for the same messages and chat template",
			Remedy: "usage is billed and budgeted from this figure: report it to the server's maintainers; check that no proxy rewrites usage",
		},
		ContractStreamUsage: {
			Seen:   "a streamed answer's usage (stream_options.include_usage) differs from its chunks or from the non-streamed answer to the same request",
			Remedy: "the streamed usage is miscounted: upgrade the server, or bill from non-streamed usage until it is fixed",
		},
		ContractParamAccepted: {
			Seen:   "an out-of-range parameter (temperature -1, top_p 2, max_tokens 0, n 0, an unknown tool_choice name, a malformed response_format) was answered 200: clamped or ignored silently",
			Remedy: "clients get something they did not ask for without an error: validate requests in front of the server, or use a server version that refuses them with HTTP 400",
		},
		ContractParamServerError: {
			Seen:   "an out-of-range parameter was answered with HTTP 5xx instead of 400",
			Remedy: "a client's bad input must not look like a server fault (it trips alerts and retries): upgrade the server, or validate requests in front of it",
		},
		ContractErrorShape: {
			Seen:   "HTTP 400, but the body is not an OpenAI-shaped error ({\"error\": {\"message\", \"type\", \"param\", \"code\"}}) naming the parameter",
			Remedy: "clients cannot tell which parameter was wrong: check the gateway in front of the server, which may rewrite error bodies",
		},
		ContractUnhealthyAfterRefusal: {
			Seen:   "a healthy request right after a refused one failed",
			Remedy: "a bad request damages the server: do not promote; read the server log for the refused request's id",
		},
	} {
		Catalog[c] = i
	}
}

// ErrorMessage is the message of an error body (OpenAI's {"error":
// {"message"}}, vLLM's flat {"message"}, FastAPI's {"detail"}), on one
// line; "" when the body has none.
func ErrorMessage(body string) string { return errorMessage(body) }
