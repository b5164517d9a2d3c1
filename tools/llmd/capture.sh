#!/usr/bin/env bash
# capture.sh - record llm-d-inference-sim's wire format verbatim into
# internal/client/testdata/llmd/. Starts the pinned simulator through
# scripts/llmd-sim.sh on 127.0.0.1:PORT (default 18431), sends each request
# with curl, writes NAME.req.json (request body), NAME.json / NAME.sse / NAME.txt
# (response body, byte for byte) and NAME.md (command, version, status, headers).
# Traffic goes to 127.0.0.1 only.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/internal/client/testdata/llmd"
PORT="${1:-18431}"
VERSION=v0.10.2
MODEL=Qwen/Qwen3-32B-AWQ
export LLMD_MODEL="$MODEL" LLMD_SEED="${LLMD_SEED:-42}" LLMD_TTFT=20ms LLMD_ITL=2ms
mkdir -p "$OUT"
"$ROOT/scripts/llmd-sim.sh" stop 2>/dev/null || true
BASE="$("$ROOT/scripts/llmd-sim.sh" start "$PORT")"
trap '"$ROOT/scripts/llmd-sim.sh" stop' EXIT
HOST="http://127.0.0.1:$PORT"
SIMCMD="scripts/llmd-sim.sh start $PORT  (llm-d-inference-sim $VERSION: --model $MODEL --force-dummy-tokenizer --mode random --seed $LLMD_SEED --time-to-first-token 20ms --inter-token-latency 2ms --max-model-len 32768)"

TOOLS='[{"type":"function","function":{"name":"get_weather","description":"Get the current weather for a location","parameters":{"type":"object","properties":{"location":{"type":"string","description":"City name, e.g. Paris"},"unit":{"type":"string","enum":["celsius","fahrenheit"]},"options":{"type":"object","properties":{"days":{"type":"integer","description":"forecast days"},"fields":{"type":"array","items":{"type":"string","enum":["wind","humidity","pressure"]}}},"required":["days"]}},"required":["location","unit"]}}}]'
MSGS='[{"role":"user","content":"What is the weather in Paris in celsius?"}]'

# note NAME EXT METHOD PATH [BODY]
cap() {
	local name="$1" ext="$2" method="$3" path="$4" body="${5:-}"
	local hdr; hdr="$(mktemp)"
	local curlcmd
	if [[ -n "$body" ]]; then
		printf '%s\n' "$body" >"$OUT/$name.req.json"
		curl -sS -N -X "$method" -D "$hdr" -H 'Content-Type: application/json' \
			--data-binary @"$OUT/$name.req.json" -o "$OUT/$name.$ext" "$HOST$path"
		curlcmd="curl -sS -N -X $method -H 'Content-Type: application/json' --data-binary @$name.req.json $HOST$path"
	else
		curl -sS -X "$method" -D "$hdr" -o "$OUT/$name.$ext" "$HOST$path"
		curlcmd="curl -sS -X $method $HOST$path"
	fi
	{
		echo "# $name.$ext"
		echo
		echo "Captured verbatim from llm-d-inference-sim $VERSION (tools/llmd/go.mod) by tools/llmd/capture.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ)."
		echo
		echo "Server: \`$SIMCMD\`"
		echo
		echo "Request: \`$curlcmd\`"
		[[ -n "$body" ]] && echo && echo "Request body: \`$name.req.json\`"
		echo
		echo "Response headers:"
		echo
		echo '```'
		tr -d '\r' <"$hdr"
		echo '```'
	} >"$OUT/$name.md"
	rm -f "$hdr"
	echo "captured $name.$ext" >&2
}

req() { # req STREAM TOOLCHOICE(json or empty) [extra json members]
	local stream="$1" tc="$2" extra="${3:-}"
	local b="{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$TOOLS"
	[[ -n "$tc" ]] && b+=",\"tool_choice\":$tc"
	[[ "$stream" == 1 ]] && b+=',"stream":true,"stream_options":{"include_usage":true}'
	[[ -n "$extra" ]] && b+=",$extra"
	echo "$b}"
}

for tc in required auto none; do
	cap "chat_tools_$tc" json POST /v1/chat/completions "$(req 0 "\"$tc\"")"
	cap "chat_tools_$tc.stream" sse POST /v1/chat/completions "$(req 1 "\"$tc\"")"
done
NAMED='{"type":"function","function":{"name":"get_weather"}}'
cap chat_tools_named json POST /v1/chat/completions "$(req 0 "$NAMED")"
cap chat_tools_named.stream sse POST /v1/chat/completions "$(req 1 "$NAMED")"
# tools with no tool_choice at all (OpenAI default is auto)
cap chat_tools_default.stream sse POST /v1/chat/completions "$(req 1 "")"
# stream without include_usage
cap chat_tools_required.stream_nousage sse POST /v1/chat/completions \
	"{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$TOOLS,\"tool_choice\":\"required\",\"stream\":true}"

# schema features: minimum/maximum and type arrays are rejected with HTTP 400 by the
# simulator's tool validator; a missing description and "strict" are accepted
BAD_MINMAX='[{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["location"]}}}]'
BAD_NODESC='[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}}]'
BAD_STRICT='[{"type":"function","function":{"name":"get_weather","description":"Get the weather","strict":true,"parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"],"additionalProperties":false}}}]'
BAD_NULLABLE='[{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":["string","null"]}},"required":["location"]}}}]'
cap rejected_schema_minimum json POST /v1/chat/completions "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$BAD_MINMAX,\"tool_choice\":\"required\"}"
cap accepted_schema_no_description json POST /v1/chat/completions "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$BAD_NODESC,\"tool_choice\":\"required\"}"
cap accepted_schema_strict json POST /v1/chat/completions "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$BAD_STRICT,\"tool_choice\":\"required\"}"
cap rejected_schema_type_array json POST /v1/chat/completions "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$BAD_NULLABLE,\"tool_choice\":\"required\"}"
# named function that is not among the tools
cap chat_tools_named_unknown json POST /v1/chat/completions "$(req 0 '{"type":"function","function":{"name":"get_time"}}')"
# 2 tools, required: the sim picks 1..2 calls, possibly the same tool twice
TWO='[{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":{"type":"object","properties":{"location":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location","unit"]}}},{"type":"function","function":{"name":"get_time","description":"Get the local time","parameters":{"type":"object","properties":{"timezone":{"type":"string"}},"required":["timezone"]}}}]'
for i in 1 2 3; do
	cap chat_two_tools_required.stream_$i sse POST /v1/chat/completions "{\"model\":\"$MODEL\",\"messages\":$MSGS,\"tools\":$TWO,\"tool_choice\":\"required\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
done

PLAIN="{\"model\":\"$MODEL\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello in five words.\"}]"
cap chat_plain json POST /v1/chat/completions "$PLAIN}"
cap chat_plain.stream sse POST /v1/chat/completions "$PLAIN,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
cap chat_plain_max_tokens_5 json POST /v1/chat/completions "$PLAIN,\"max_tokens\":5}"
cap chat_plain_max_tokens_5.stream sse POST /v1/chat/completions "$PLAIN,\"max_tokens\":5,\"stream\":true,\"stream_options\":{\"include_usage\":true}}"
cap chat_plain_max_completion_tokens_3 json POST /v1/chat/completions "$PLAIN,\"max_completion_tokens\":3}"
cap chat_unknown_model json POST /v1/chat/completions "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

cap models json GET /v1/models
cap health txt GET /health
cap version json GET /version
cap metrics txt GET /metrics
echo "base URL was $BASE" >&2
