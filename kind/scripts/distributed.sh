#!/usr/bin/env bash
# make distributed PARALLELISM=N [K6_ARGS="-e RATE=2000 -e DURATION=5m"]: runs dist/throughput.js
# on N k6 runner pods through the k6-operator (TestRun CRD), against the cluster from
# `make cluster`. Each runner gets an equal execution segment; all share one TEST_ID, so their
# events land in one run and `k6 run dist/verify.js` verifies them together afterwards.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/testrun.sh"
source "$(dirname "$0")/wait-testrun.sh"
PARALLELISM="${PARALLELISM:-2}"
[[ "$PARALLELISM" =~ ^[1-9][0-9]*$ ]] && (( PARALLELISM <= 64 )) ||
  die "PARALLELISM=$PARALLELISM is invalid: accepted values are whole numbers from 1 to 64"
[[ "${TIMEOUT_SECONDS:-7200}" =~ ^[1-9][0-9]*$ ]] ||
  die "TIMEOUT_SECONDS=$TIMEOUT_SECONDS is invalid: accepted values are whole numbers of seconds from 1"
[[ "${RUNNER_PENDING_SECONDS:-120}" =~ ^[0-9]+$ ]] ||
  die "RUNNER_PENDING_SECONDS=$RUNNER_PENDING_SECONDS is invalid: accepted values are whole numbers of seconds from 0"
TEST_ID="${TEST_ID:-run-$(date -u +%Y%m%d-%H%M%S)-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')}"
[[ "$TEST_ID" =~ ^[A-Za-z0-9-]{1,48}$ ]] ||
  die "TEST_ID=$TEST_ID is invalid: expected 1 to 48 letters, digits or '-'"
require_tools docker kind kubectl helm
use_cluster_context
cd "$REPO_ROOT"
[ -f dist/throughput.js ] || die "dist/throughput.js is missing: run 'make build' first"

log "installing the k6-operator (chart $K6_OPERATOR_CHART_VERSION)"
helm repo add grafana https://grafana.github.io/helm-charts --force-update >/dev/null
helm upgrade --install k6-operator grafana/k6-operator --version "$K6_OPERATOR_CHART_VERSION" \
  --namespace k6-operator-system --create-namespace -f kind/k6-operator/values.yaml --wait --timeout 5m

log "building $RUNNER_IMAGE (k6 + xk6-redis) and loading it into kind"
docker build -t "$RUNNER_IMAGE" kind/k6-runner
load_image "$RUNNER_IMAGE"

kubectl -n "$APP_NS" create configmap k6-throughput --from-file=throughput.js=dist/throughput.js \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n "$APP_NS" delete testrun throughput --ignore-not-found >/dev/null

log "TEST_ID=$TEST_ID: starting $PARALLELISM runners"
# shellcheck disable=SC2086 # K6_ARGS is split into separate k6 arguments on purpose
render_testrun "$PARALLELISM" "$TEST_ID" ${K6_ARGS:-} | kubectl apply -f -
wait_for_testrun throughput
kubectl -n "$APP_NS" logs -l k6_cr=throughput,runner=true --tail 40 --prefix >&2 || true

cat >&2 <<MSG

Runners finished. Verify the run from this host:
  TEST_ID=$TEST_ID k6 run dist/verify.js
MSG
