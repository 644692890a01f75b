# outpost-loadtest. `make help` lists the targets.
SHELL := /bin/bash
K6_REDIS ?= xk6

.PHONY: help deps build test typecheck
help: ## list targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-18s %s\n", $$1, $$2}'

deps: ## install Node packages and the servers the tests need (apt-get on Debian)
	./scripts/install-deps.sh

build: deps ## bundle dist/throughput.js and dist/verify.js (K6_REDIS=xk6|experimental)
	K6_REDIS=$(K6_REDIS) npm run build

test: deps ## type-check, build both bundles and run every test against real servers
	npm test

typecheck: ## tsc --noEmit over src/, the k6 edge and the Node edge
	npm run typecheck

# --- scenarios (issue 2) ---

# --- mock webhook (issue 3) ---

# --- local stack (issue 4) ---

# --- kubernetes (issue 5) ---
