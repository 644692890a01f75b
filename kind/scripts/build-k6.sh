#!/usr/bin/env bash
# make k6: builds ./bin/k6 with xk6-redis compiled in, for hosts whose k6 cannot resolve
# `k6/x/redis` automatically (offline machines). It downloads xk6, k6 (go.k6.io/k6) and
# xk6-redis through the Go module proxy and compiles them: run it on your own machine.
# Versions match kind/k6-runner/Dockerfile.
source "$(dirname "$0")/common.sh"
XK6_VERSION="${XK6_VERSION:-v1.4.11}"
K6_VERSION="${K6_VERSION:-v2.1.0}"
XK6_REDIS_VERSION="${XK6_REDIS_VERSION:-v0.4.3}"
require_tools go
cd "$REPO_ROOT"
mkdir -p bin
GOBIN="$REPO_ROOT/bin" go install "go.k6.io/xk6@$XK6_VERSION"
"$REPO_ROOT/bin/xk6" build "$K6_VERSION" --with "github.com/grafana/xk6-redis@$XK6_REDIS_VERSION" --output "$REPO_ROOT/bin/k6"
"$REPO_ROOT/bin/k6" version
log "built bin/k6; use it as: bin/k6 run dist/throughput.js"
