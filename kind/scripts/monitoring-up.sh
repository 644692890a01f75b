#!/usr/bin/env bash
# make monitoring: kube-prometheus-stack (Prometheus with the remote-write receiver, Grafana,
# kube-state-metrics, node-exporter), the OpenTelemetry collector for Outpost's metrics, and
# the dashboards from monitoring/dashboards/. Re-runnable.
source "$(dirname "$0")/common.sh"
require_tools kubectl helm kind
use_cluster_context
cd "$REPO_ROOT"

ensure_namespace "$MONITORING_NS"
if ! kubectl -n "$MONITORING_NS" get secret grafana-admin >/dev/null 2>&1; then
  kubectl -n "$MONITORING_NS" create secret generic grafana-admin \
    --from-literal=admin-user=admin --from-literal=admin-password="$(random_hex)" >/dev/null
fi

log "installing kube-prometheus-stack $KPS_CHART_VERSION"
helm repo add prometheus-community https://prometheus-community.github.io/helm-charts --force-update >/dev/null
helm upgrade --install kps prometheus-community/kube-prometheus-stack --version "$KPS_CHART_VERSION" \
  --namespace "$MONITORING_NS" -f monitoring/kube-prometheus-stack/values.yaml --wait --timeout 10m

log "applying the OpenTelemetry collector and the dashboards"
kubectl apply -k monitoring
# The collector's ConfigMap has a fixed name (it is referenced from Outpost's env): restart to
# pick up a changed config.
kubectl -n "$MONITORING_NS" rollout restart deployment/otel-collector >/dev/null
kubectl -n "$MONITORING_NS" rollout status deployment/otel-collector --timeout 5m

cat >&2 <<MSG
Grafana:    http://127.0.0.1:3000  (user admin; password:
            kubectl -n $MONITORING_NS get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d; echo)
            dashboards: folder "General", tag outpost-loadtest
Prometheus: http://127.0.0.1:9090  (k6: -o experimental-prometheus-rw, K6_PROMETHEUS_RW_SERVER_URL=http://127.0.0.1:9090/api/v1/write)
MSG
