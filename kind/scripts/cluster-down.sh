#!/usr/bin/env bash
# make cluster-down: deletes the kind cluster and everything in it (Outpost, dependencies,
# monitoring, k6-operator). Images built locally stay in Docker.
source "$(dirname "$0")/common.sh"
require_tools kind
if cluster_exists; then
  kind delete cluster --name "$CLUSTER_NAME"
else
  log "no kind cluster '$CLUSTER_NAME'; nothing to delete"
fi
