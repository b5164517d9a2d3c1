package suite

import (
	"context"

	"github.com/vllm-acceptance/vllm-acceptance/internal/client"
	"github.com/vllm-acceptance/vllm-acceptance/internal/contract"
	"github.com/vllm-acceptance/vllm-acceptance/internal/fixture"
	"github.com/vllm-acceptance/vllm-acceptance/internal/record"
	"github.com/vllm-acceptance/vllm-acceptance/internal/sidecar"
)

// APIContract runs the API-contract area (TestContract): usage counts
// against /tokenize and the stream, and bad parameters refused with a 400,
// each judged by internal/contract.
type APIContract struct{ *Run }

// contractMessages are the messages of every contract request.
var contractMessages = []fixture.Message{{Role: "user", Content: "What is the capital of France? Answer in one word."}}

// contractTool is the tool offered by the unknown tool_choice probe.
var contractTool = fixture.Tool{Type: "function", Function: fixture.Function{Name: "get_weather", Description: "Current weather in a city.",
	Parameters: map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []any{"city"}}}}

// request is the healthy request every probe starts from: no
// chat_template_kwargs, so /tokenize renders the same template.
func (r *APIContract) request(stream bool) client.Request {
	temp := 0.0
	return client.Request{Model: r.Cfg.Model, Messages: contractMessages, MaxTokens: 16, Temperature: &temp, Stream: stream,
		Extra: map[string]any{"seed": 1234}}
}

// Checks runs every contract check in each configured transport
// (ACCEPTANCE_TOOLCALL_MODES; stream_usage streamed only) and records the
// contract section. A refused probe is followed by a healthy request,
// which must be answered.
func (r *APIContract) Checks(ctx context.Context, test string) []sidecar.ContractCheck {
	send := func(name, mode string, req client.Request) record.Record {
		rec := r.Client.Chat(ctx, req)
		rec.Test, rec.Scenario, rec.Class = test+"/"+name+"/"+mode, "contract", name
		r.Record(&rec)
		return rec
	}
	var out []sidecar.ContractCheck
	tok := r.Client.Tokenize(ctx, r.Cfg.Model, contractMessages, nil)
	var plainRec, streamRec *record.Record
	for _, m := range r.Cfg.ToolCallModes {
		stream := m == "stream"
		rec := send(contract.PromptTokens, m, r.request(stream))
		if stream {
			streamRec = &rec
		} else {
			plainRec = &rec
		}
		out = append(out, contract.JudgePromptTokens(&rec, tok.Count, tok.Err))
	}
	if streamRec != nil {
		if plainRec == nil {
			rec := send(contract.StreamUsage, "plain", r.request(false))
			plainRec = &rec
		}
		out = append(out, contract.JudgeStreamUsage(plainRec, streamRec))
	}
	for _, p := range contract.Params {
		for _, m := range r.Cfg.ToolCallModes {
			req := r.request(m == "stream")
			switch p.Name {
			case "temperature":
				v := p.Value.(float64)
				req.Temperature = &v
			case "max_tokens":
				req.MaxTokens = 0
				req.Extra["max_tokens"] = p.Value
			case "tool_choice":
				req.Tools, req.ToolChoice = []fixture.Tool{contractTool}, p.Value.(string)
			default:
				req.Extra[p.Name] = p.Value
			}
			rec := send(p.Check, m, req)
			var after *record.Record
			if rec.Status >= 400 && ctx.Err() == nil {
				a := send(p.Check, m+"/after", r.request(false))
				after = &a
			}
			out = append(out, contract.JudgeParam(p, &rec, after))
		}
	}
	j := r.Judge()
	r.Update(func(m *sidecar.Metrics) {
		m.Contract = &sidecar.Contract{Checks: out, Tokenize: tok.Err == ""}
		m.Contract.Passed = j.Checks(m.Contract.AllChecks()) != sidecar.Fail
	})
	r.Checkpoint()
	return out
}
