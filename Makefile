# vllm-acceptance: run `make help` for the targets.
SHELL := /bin/bash
GO    ?= go
OUT   ?= out
# The embedded simulator's persona for `make demo`: a little latency so the
# figures mean something.
DEMO_SIM ?= healthy?ttft=30ms&itl=2ms&noise=0.1&seed=1

.PHONY: help demo test k8scheck k8s-e2e acceptance acceptance-once variance verdict-pairs report lint fuzz bench interop gpuengine-check clean

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

demo: ## the whole suite against the embedded simulator; writes every output to $(OUT)/
	@mkdir -p $(OUT)
	ACCEPTANCE_SIMULATOR='$(DEMO_SIM)' ACCEPTANCE_PROFILE=settings/demo.yaml ACCEPTANCE_OUT=$(OUT) \
		$(GO) tool gotestsum --format testname --junitfile $(OUT)/junit.xml -- -tags live -count=1 -timeout 10m ./acceptance
	$(GO) run ./cmd/vllm-acceptance report --out $(OUT)

test: ## unit tests, self-tests against misbehaving simulators, the llm-d-inference-sim interop run, the Kubernetes manifests, report.html in headless chromium, and tools/gpuengine's Python checks
	$(GO) vet ./... && $(GO) vet -tags live ./...
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory interop
	OUT_PNG=$(OUT)/report.png ./scripts/browser-test.sh
	$(MAKE) --no-print-directory k8scheck
	$(MAKE) --no-print-directory gpuengine-check

interop: ## the live suite against llm-d-inference-sim on a loopback port (builds it from the module proxy; minutes the first time)
	./scripts/interop.sh

report: ## rewrite report.md, report.html and the charts of $(OUT) from its metrics.json and requests.jsonl
	$(GO) run ./cmd/vllm-acceptance report --out $(OUT)

gpuengine-check: ## tools/gpuengine (Python): lint, and a CPU smoke test of the tiny shape; each part says why it is skipped where its packages are missing
	./scripts/gpuengine-check.sh

k8scheck: ## build deploy/kubernetes with kustomize's Go API and check the manifests strictly (a module of its own: tools/k8scheck)
	$(GO) -C tools/k8scheck vet ./...
	$(GO) -C tools/k8scheck test -count=1 ./...

# K8S_E2E_FLAGS: --level1-only (the control plane only), --break field|secret|cpu|command.
K8S_E2E_FLAGS ?=
k8s-e2e: ## deploy/kubernetes on a live control plane here (kwok node), then the sharded run as real pods (root; not part of test; SKIP line without root); K8S_E2E_FLAGS=--level1-only stops after the control plane
	./scripts/k8s-e2e.sh $(K8S_E2E_FLAGS)

# Runs of the configuration per `make acceptance`: with more than one, run i
# goes to $(OUT)/runs/i (each with its own junit.xml and report), and
# `vllm-acceptance compare BASELINE $(OUT)/runs` takes runs as the unit.
ACCEPTANCE_RUNS ?= 1

acceptance: ## the suite against VLLM_BASE_URL through gotestsum, adding junit.xml and the report; ACCEPTANCE_RUNS=N runs it N times into $(OUT)/runs/1..N
	@mkdir -p $(OUT)
	@if [ "$(ACCEPTANCE_RUNS)" -le 1 ]; then \
		$(MAKE) --no-print-directory acceptance-once RUN_OUT=$(OUT); \
	else \
		rc=0; for i in $$(seq 1 $(ACCEPTANCE_RUNS)); do \
			echo "== run $$i of $(ACCEPTANCE_RUNS): $(OUT)/runs/$$i"; \
			$(MAKE) --no-print-directory acceptance-once RUN_OUT=$(OUT)/runs/$$i || { r=$$?; [ $$rc -ne 0 ] || rc=$$r; }; \
		done; \
		echo "== $(ACCEPTANCE_RUNS) runs in $(OUT)/runs: compare them with 'vllm-acceptance compare BASELINE $(OUT)/runs'"; \
		exit $$rc; \
	fi

acceptance-once: # one run of the suite into $(RUN_OUT)
	@mkdir -p $(RUN_OUT)
	ACCEPTANCE_OUT=$(RUN_OUT) $(GO) tool gotestsum --format testname --junitfile $(RUN_OUT)/junit.xml -- -tags live -count=1 -timeout 60m ./acceptance; \
		rc=$$?; $(GO) run ./cmd/vllm-acceptance report --out $(RUN_OUT) || true; exit $$rc

lint: ## gofmt, go vet (with and without the live tag), workflow lint
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: run gofmt -w on the files above'; exit 1; }
	$(GO) vet ./... && $(GO) vet -tags live ./...
	./scripts/lint-workflows.sh

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	./scripts/fuzz.sh $${FUZZTIME:-30s}

variance: ## measure the suite's false-alarm and detection rates against the simulator (minutes); see docs/statistics.md
	./scripts/variance.sh

verdict-pairs: ## identical healthy runs against each /metrics variant never compare as regressed on a verdict row (minutes); see docs/statistics.md
	./scripts/verdict-pairs.sh

bench: ## harness benchmarks; writes bench/results.md
	./scripts/bench.sh

clean: ## remove outputs
	rm -rf $(OUT) bin
