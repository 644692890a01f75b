#!/usr/bin/env bash
# make local-down: stops what make local-up started, and nothing else: each service's pid file
# names a pid and its start time, so a process that merely reuses a recorded pid, or holds one
# of the ports, is left alone. Data (PostgreSQL, run-state Redis, Prometheus) stays in
# .local/stack for the next local-up; rm -rf .local to start afresh.
set -euo pipefail
# shellcheck source=local/lib.sh
. "$(dirname "$0")/lib.sh"

[ -d "$STACK" ] || {
  echo "nothing to stop: no local stack in $LOCAL_DIR"
  exit 0
}
echo "stopping the local stack in $LOCAL_DIR"
for ((i = ${#SERVICES[@]} - 1; i >= 0; i--)); do
  s=${SERVICES[i]}
  case $s in
  outpost-server)
    if [ -s "$STACK/outpost-server.container" ]; then
      cid=$(cat "$STACK/outpost-server.container")
      if docker stop "$cid" >/dev/null 2>&1; then echo "  outpost-server: stopped (container ${cid:0:12})"; fi
      docker rm "$cid" >/dev/null 2>&1 || true
      rm -f "$STACK/outpost-server.container"
    else
      stop_ours outpost-server 30
    fi
    ;;
  postgres) stop_ours postgres 30 INT ;; # fast shutdown: does not wait for clients
  rabbitmq) stop_ours rabbitmq 60 ;;
  *) stop_ours "$s" ;;
  esac
done
echo "done"
