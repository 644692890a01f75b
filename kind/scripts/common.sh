# Shared by the kind/scripts/*.sh entry points (sourced, not run).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER_NAME=outpost-loadtest
APP_NS=olt
MONITORING_NS=monitoring
MOCK_IMAGE=outpost-loadtest/mock-webhook:dev
RUNNER_IMAGE=outpost-loadtest/k6-runner:dev
KPS_CHART_VERSION=67.8.0        # prometheus-community/kube-prometheus-stack
K6_OPERATOR_CHART_VERSION=4.6.0 # grafana/k6-operator chart, which installs operator K6_OPERATOR_VERSION
K6_OPERATOR_VERSION=v1.6.0      # its appVersion; image tags controller-/runner-/starter-<version>

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 2; }

# One line per missing tool, then stop: a partial cluster is worse than none.
require_tools() {
  local missing=0 tool
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      printf 'missing prerequisite: %s (%s)\n' "$tool" "$(tool_hint "$tool")" >&2
      missing=1
    fi
  done
  if [[ " $* " == *" docker "* ]] && command -v docker >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
    printf 'missing prerequisite: a running Docker engine (docker info failed; start Docker or check your permissions)\n' >&2
    missing=1
  fi
  [ "$missing" -eq 0 ] || exit 2
}

tool_hint() {
  case "$1" in
    docker) echo "install Docker Engine or Docker Desktop: https://docs.docker.com/engine/install/" ;;
    kind) echo "install kind v0.27 or later: https://kind.sigs.k8s.io/docs/user/quick-start/#installation" ;;
    kubectl) echo "install kubectl 1.30 or later: https://kubernetes.io/docs/tasks/tools/" ;;
    helm) echo "install Helm 3: https://helm.sh/docs/intro/install/" ;;
    k6) echo "install k6 (https://grafana.com/docs/k6/latest/set-up/install-k6/) or build one with 'make k6'" ;;
    go) echo "install Go 1.25 or later: https://go.dev/doc/install" ;;
    *) echo "install it and put it on PATH" ;;
  esac
}

# SIZE picks kind/sizes/<SIZE>.
validate_size() {
  case "${1:-}" in
    small | medium | large) ;;
    *) die "SIZE=${1:-} is invalid: accepted values are small, medium, large" ;;
  esac
}

# A random hex string for generated passwords (never printed).
random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

cluster_exists() { kind get clusters 2>/dev/null | grep -qx "$CLUSTER_NAME"; }

ensure_namespace() { kubectl create namespace "$1" --dry-run=client -o yaml | kubectl apply -f - >/dev/null; }

# Loads a locally built image into the kind node. Not `kind load docker-image`: that pipes a plain
# `docker save` into `ctr import --all-platforms`, which fails under Docker's containerd image store
# (the default of Docker Desktop and Docker 29; kubernetes-sigs/kind issue 3795). kind documents
# the way round it: save only the image's own platform to an archive, then `kind load
# image-archive`. `docker image save --platform` came with Docker 28; older Docker saves plainly,
# which works with its classic image store.
load_image() {
  local image="$1" archive status=0
  archive="$(mktemp "${TMPDIR:-/tmp}/olt-image.XXXXXX")"
  { save_image "$image" "$archive" && kind load image-archive "$archive" --name "$CLUSTER_NAME"; } || status=$?
  rm -f "$archive"
  return "$status"
}

save_image() {
  if docker image save --help 2>/dev/null | grep -q -- '--platform'; then
    docker image save --platform "$(docker image inspect -f '{{.Os}}/{{.Architecture}}' "$1")" -o "$2" "$1"
  else
    docker image save -o "$2" "$1"
  fi
}

# kubectl context of the kind cluster, so a user's other clusters are never touched.
use_cluster_context() {
  cluster_exists || die "no kind cluster '$CLUSTER_NAME': run 'make cluster' first"
  kubectl config use-context "kind-$CLUSTER_NAME" >/dev/null
}
