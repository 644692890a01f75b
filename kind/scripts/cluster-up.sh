#!/usr/bin/env bash
# make cluster [SIZE=small|medium|large]: a kind cluster with Outpost v1.2.0 (api, delivery, log),
# Redis, PostgreSQL and RabbitMQ from official images, the mock webhook, and monitoring.
# Re-runnable: an existing cluster is reused and the manifests re-applied (e.g. to change SIZE).
source "$(dirname "$0")/common.sh"
SIZE="${SIZE:-small}"
validate_size "$SIZE"
# No k6 here: nothing below runs it (the scenarios run afterwards, from the host or the runners).
require_tools docker kind kubectl helm
cd "$REPO_ROOT"

if cluster_exists; then
  log "kind cluster '$CLUSTER_NAME' exists; reusing it"
else
  log "creating kind cluster '$CLUSTER_NAME'"
  kind create cluster --config kind/cluster.yaml --wait 5m
fi
use_cluster_context

log "building $MOCK_IMAGE and loading it into kind"
docker build -t "$MOCK_IMAGE" -f mock-webhook/Dockerfile .
load_image "$MOCK_IMAGE"

"$REPO_ROOT/kind/scripts/monitoring-up.sh"

# Generated once per cluster, kept across re-runs (Postgres keeps the password it started with).
ensure_namespace "$APP_NS"
if ! kubectl -n "$APP_NS" get secret olt-credentials >/dev/null 2>&1; then
  pg_pw="$(random_hex)" mq_pw="$(random_hex)"
  kubectl -n "$APP_NS" create secret generic olt-credentials \
    --from-literal=POSTGRES_PASSWORD="$pg_pw" \
    --from-literal=POSTGRES_URL="postgres://outpost:$pg_pw@postgres:5432/outpost?sslmode=disable" \
    --from-literal=POSTGRES_EXPORTER_DSN="postgresql://outpost:$pg_pw@127.0.0.1:5432/outpost?sslmode=disable" \
    --from-literal=RABBITMQ_PASSWORD="$mq_pw" \
    --from-literal=RABBITMQ_SERVER_URL="amqp://outpost:$mq_pw@rabbitmq:5672" \
    --from-literal=AES_ENCRYPTION_SECRET="$(random_hex)" \
    --from-literal=API_JWT_SECRET="$(random_hex)" \
    --from-literal=API_KEY="${OUTPOST_API_KEY:-}" >/dev/null
fi

rendered="$(mktemp)"
trap 'rm -f "$rendered"' EXIT
kubectl kustomize "kind/sizes/$SIZE" >"$rendered"

log "SIZE=$SIZE: applying Redis, PostgreSQL, RabbitMQ, the mock webhook and the migration Job"
# A Job's template is immutable; migrations are idempotent, so run them afresh each time.
kubectl -n "$APP_NS" delete job outpost-migrate --ignore-not-found >/dev/null
kubectl apply -f "$rendered" -l olt.stage=deps
for d in outpost-redis runstate-redis postgres rabbitmq mock-webhook; do
  kubectl -n "$APP_NS" rollout status "deployment/$d" --timeout 5m
done

log "waiting for Outpost's migrations (outpost migrate apply --yes)"
if ! kubectl -n "$APP_NS" wait --for=condition=complete job/outpost-migrate --timeout 5m; then
  kubectl -n "$APP_NS" logs job/outpost-migrate --tail 50 >&2 || true
  die "the migration Job did not complete; see its log above"
fi

log "starting Outpost api, delivery and log"
kubectl apply -f "$rendered" -l olt.stage=outpost
for d in outpost-api outpost-delivery outpost-log; do
  kubectl -n "$APP_NS" rollout status "deployment/$d" --timeout 5m
done

cat >&2 <<MSG

Cluster '$CLUSTER_NAME' is up (SIZE=$SIZE). From this host:
  Outpost API     http://127.0.0.1:3333   (OUTPOST_URL default)
  run-state Redis redis://127.0.0.1:6379  (REDIS_URL default)
  mock webhook    http://127.0.0.1:48080  (MOCK_URL default)
Outpost cannot reach 127.0.0.1 on your host, so tell it the mock's in-cluster address:
  export MOCK_DESTINATION_URL=http://mock-webhook.$APP_NS.svc:48080
  export OUTPOST_API_KEY=...   # if you set one for this cluster
  export TEST_ID=run-\$(date -u +%Y%m%d-%H%M%S)   # chosen up front, so the k6 dashboard can tag by it
  k6 run -o experimental-prometheus-rw --tag testid=\$TEST_ID dist/throughput.js
  k6 run -o experimental-prometheus-rw dist/verify.js
(K6_PROMETHEUS_RW_SERVER_URL defaults to http://localhost:9090/api/v1/write, which is this
 cluster's Prometheus; set K6_PROMETHEUS_RW_TREND_STATS='p(50),p(95),p(99),max' for the k6 dashboard.)
MSG
