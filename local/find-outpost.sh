# shellcheck shell=bash
# shellcheck disable=SC2034 # sets variables for the scripts that source it
# Finds Outpost v1.2.0 for the local stack, in this order:
#   1. OUTPOST_BIN: a directory holding the outpost CLI and outpost-server
#   2. outpost-server (and the outpost CLI) on PATH
#   3. go install github.com/hookdeck/outpost/cmd/{outpost,outpost-server}@v1.2.0, into
#      $STACK/go-bin (done once; later runs find the binaries there)
#   4. the hookdeck/outpost:v1.2.0 image, when a Docker engine answers
# Sets OUTPOST_MODE (binary|docker), OUTPOST_DIR (binary mode) and OUTPOST_FOUND (how, for
# humans). None of them: one line naming the four ways, exit 3.
# Needs lib.sh.

OUTPOST_VERSION=v1.2.0
OUTPOST_MODULE=github.com/hookdeck/outpost
OUTPOST_IMAGE=hookdeck/outpost:$OUTPOST_VERSION

has_outpost_binaries() { [ -x "$1/outpost" ] && [ -x "$1/outpost-server" ]; }

# go install into $STACK/go-bin. Echoes why it did not work, if it did not.
go_install_outpost() {
  local log=$LOGS/go-install.log why
  if ! command -v go >/dev/null; then
    echo "here: go is not installed"
    return 1
  fi
  mkdir -p "$STACK/go-bin" "$STACK/empty" "$LOGS"
  # From an empty directory: no go.mod around to interfere. Ask the proxy for the version
  # first (a second), so a refusal is one line, not minutes of building.
  if ! (cd "$STACK/empty" && go list -m "$OUTPOST_MODULE@$OUTPOST_VERSION") >"$log" 2>&1; then
    why=$(grep -oE ': [0-9]{3} [A-Z][A-Za-z ]*' "$log" | head -1)
    echo "here: ${why:+${why#: } from }GOPROXY=$(go env GOPROXY 2>/dev/null), see $log"
    return 1
  fi
  echo "building Outpost $OUTPOST_VERSION with go install (minutes; log: $log)" >&2
  if (cd "$STACK/empty" && GOBIN=$STACK/go-bin go install \
    "$OUTPOST_MODULE/cmd/outpost@$OUTPOST_VERSION" "$OUTPOST_MODULE/cmd/outpost-server@$OUTPOST_VERSION") >>"$log" 2>&1 &&
    has_outpost_binaries "$STACK/go-bin"; then
    return 0
  fi
  echo "here: go install failed, see $log"
  return 1
}

docker_answers() { command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; }

find_outpost() {
  OUTPOST_MODE=binary
  if [ -n "${OUTPOST_BIN:-}" ]; then
    has_outpost_binaries "$OUTPOST_BIN" ||
      die 2 "OUTPOST_BIN=\"$OUTPOST_BIN\" is invalid: expected a directory holding executable outpost and outpost-server"
    OUTPOST_DIR=$(cd "$OUTPOST_BIN" && pwd)
    OUTPOST_FOUND="OUTPOST_BIN ($OUTPOST_DIR)"
    return 0
  fi
  local server path_why=""
  if server=$(command -v outpost-server); then
    OUTPOST_DIR=$(dirname "$server")
    if has_outpost_binaries "$OUTPOST_DIR"; then
      OUTPOST_FOUND="PATH ($OUTPOST_DIR)"
      return 0
    fi
    path_why=" (found $server but no outpost CLI next to it for the migrations)"
  fi
  if has_outpost_binaries "$STACK/go-bin"; then
    OUTPOST_DIR=$STACK/go-bin
    OUTPOST_FOUND="go install, earlier ($OUTPOST_DIR)"
    return 0
  fi
  local go_why
  if go_why=$(go_install_outpost); then
    OUTPOST_DIR=$STACK/go-bin
    OUTPOST_FOUND="go install ($OUTPOST_DIR)"
    return 0
  fi
  if docker_answers; then
    OUTPOST_MODE=docker
    OUTPOST_FOUND="Docker image $OUTPOST_IMAGE"
    return 0
  fi
  die 3 "no Outpost $OUTPOST_VERSION found: set OUTPOST_BIN to a directory holding outpost and outpost-server, put outpost-server and outpost on PATH$path_why, make 'go install $OUTPOST_MODULE/cmd/outpost-server@$OUTPOST_VERSION' work ($go_why), or start a Docker engine for the $OUTPOST_IMAGE image (here: none answers)"
}
