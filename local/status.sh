#!/usr/bin/env bash
# make local-status: each service of the local stack — running or not (only processes local-up
# started count), health, the addresses it listens on. Exit 0 when all run and are healthy.
set -euo pipefail
# shellcheck source=local/lib.sh
. "$(dirname "$0")/lib.sh"
read_recorded_ports

health() { # service
  case $1 in
  run-state-redis) redis_ok "$LOCAL_RUNSTATE_REDIS_PORT" ;;
  outpost-redis) redis_ok "$LOCAL_OUTPOST_REDIS_PORT" ;;
  postgres) if command -v pg_isready >/dev/null; then pg_isready -q -h 127.0.0.1 -p "$LOCAL_POSTGRES_PORT"; else port_open "$LOCAL_POSTGRES_PORT"; fi ;;
  epmd) port_open "$LOCAL_EPMD_PORT" ;;
  rabbitmq) port_open "$LOCAL_RABBITMQ_PORT" && http_ok "http://127.0.0.1:$LOCAL_RABBITMQ_PROMETHEUS_PORT/metrics" ;;
  mock-webhook) http_ok "http://127.0.0.1:$LOCAL_MOCK_PORT/healthz" ;;
  prometheus) http_ok "http://127.0.0.1:$LOCAL_PROMETHEUS_PORT/-/ready" ;;
  process-exporter) http_ok "http://127.0.0.1:$LOCAL_PROCESS_EXPORTER_PORT/metrics" ;;
  redis-exporter) http_ok "http://127.0.0.1:$LOCAL_REDIS_EXPORTER_PORT/metrics" ;;
  postgres-exporter) http_ok "http://127.0.0.1:$LOCAL_POSTGRES_EXPORTER_PORT/metrics" ;;
  outpost-server) http_ok "http://127.0.0.1:$LOCAL_OUTPOST_PORT/healthz" ;;
  esac
}

where() { # service: what a user points at
  case $1 in
  run-state-redis) echo "redis://127.0.0.1:$LOCAL_RUNSTATE_REDIS_PORT (REDIS_URL)" ;;
  outpost-redis) echo "redis://127.0.0.1:$LOCAL_OUTPOST_REDIS_PORT (Outpost's)" ;;
  postgres) echo "postgres://127.0.0.1:$LOCAL_POSTGRES_PORT/outpost" ;;
  rabbitmq) echo "amqp://127.0.0.1:$LOCAL_RABBITMQ_PORT, metrics http://127.0.0.1:$LOCAL_RABBITMQ_PROMETHEUS_PORT/metrics" ;;
  mock-webhook) echo "http://127.0.0.1:$LOCAL_MOCK_PORT (MOCK_URL)" ;;
  prometheus) echo "http://127.0.0.1:$LOCAL_PROMETHEUS_PORT (remote write: /api/v1/write)" ;;
  outpost-server) echo "http://127.0.0.1:$LOCAL_OUTPOST_PORT (OUTPOST_URL)" ;;
  esac
}

pid_of() { # service
  if [ "$1" = outpost-server ] && [ -s "$STACK/outpost-server.container" ]; then
    docker inspect -f '{{.State.Pid}}' "$(cat "$STACK/outpost-server.container")" 2>/dev/null
  else
    our_pid "$1"
  fi
}

all_ok=1 exposed=""
printf '%-18s %-8s %-8s %-9s %-32s %s\n' service state pid health "listens on" use
for s in "${SERVICES[@]}"; do
  state=stopped pid=- h=- addrs=-
  if service_running "$s"; then
    state=running
    pid=$(pid_of "$s") || pid='?'
    if health "$s"; then h=healthy; else h=unhealthy all_ok=0; fi
    addrs=$(listen_addresses "$pid")
    addrs=${addrs% }
    [ -n "$addrs" ] || addrs=-
    # Anything not on loopback (v1.2.0's outpost-server binds every interface).
    for a in $addrs; do
      case $a in 127.0.0.1:* | "[::1]":* | -) ;; *) exposed+=" $s($a)" ;; esac
    done
  else
    all_ok=0
  fi
  printf '%-18s %-8s %-8s %-9s %-32s %s\n' "$s" "$state" "$pid" "$h" "$addrs" "$(where "$s")"
done
[ -s "$STACK/outpost.source" ] && echo "Outpost: $(cat "$STACK/outpost.source")"
[ -s "$STACK/outpost.settings" ] && echo "Outpost settings: $(tr '\n' ' ' <"$STACK/outpost.settings")"
if [ -n "$exposed" ]; then
  echo "warning: listening beyond loopback:$exposed. Outpost v1.2.0's outpost-server binds every interface" \
    "(internal/services/builder.go listens on \":API_PORT\"); a firewall or a build patched to 127.0.0.1 keeps it local."
fi
echo "State and logs: $LOCAL_DIR (logs in $LOGS)"
[ "$all_ok" = 1 ]
