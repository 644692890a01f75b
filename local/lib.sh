# shellcheck shell=bash
# shellcheck disable=SC2034 # sets variables for the scripts that source it
# Shared by the local-stack scripts (up.sh, down.sh, status.sh, demo.sh): where the state lives,
# the port settings and their validation, and pid files that name exactly one process.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOCAL_DIR=${LOCAL_DIR:-$ROOT/.local}
STACK=$LOCAL_DIR/stack   # pid files, data directories, generated configs, secrets (0600)
LOGS=$LOCAL_DIR/logs     # one log per process

# Port settings: variable, default, what listens there. The first four are the scenarios'
# defaults (OUTPOST_URL, REDIS_URL, MOCK_URL, k6's remote-write URL).
PORT_SETTINGS=(
  LOCAL_OUTPOST_PORT:3333:outpost-server
  LOCAL_RUNSTATE_REDIS_PORT:6379:run-state-redis
  LOCAL_MOCK_PORT:48080:mock-webhook
  LOCAL_PROMETHEUS_PORT:9090:prometheus
  LOCAL_OUTPOST_REDIS_PORT:6380:outpost-redis
  LOCAL_POSTGRES_PORT:5433:postgres
  LOCAL_RABBITMQ_PORT:5673:rabbitmq
  LOCAL_RABBITMQ_DIST_PORT:25673:rabbitmq
  LOCAL_RABBITMQ_PROMETHEUS_PORT:15692:rabbitmq
  LOCAL_EPMD_PORT:4370:epmd
  LOCAL_PROCESS_EXPORTER_PORT:9256:process-exporter
  LOCAL_REDIS_EXPORTER_PORT:9121:redis-exporter
  LOCAL_POSTGRES_EXPORTER_PORT:9187:postgres-exporter
)

# The services in start order (local-down stops them in reverse).
SERVICES=(run-state-redis outpost-redis postgres epmd rabbitmq mock-webhook prometheus process-exporter
  redis-exporter postgres-exporter outpost-server)

# die CODE MESSAGE: one line on stderr, then exit.
die() {
  echo "$2" >&2
  exit "$1"
}

# Sets every LOCAL_*_PORT to its value or default; a bad or repeated value stops with one line
# naming the variable (exit 2), before anything starts.
read_port_settings() {
  local entry name default value seen=" "
  for entry in "${PORT_SETTINGS[@]}"; do
    IFS=: read -r name default _ <<<"$entry"
    value=${!name:-$default}
    if ! [[ $value =~ ^[1-9][0-9]{0,4}$ ]] || ((value > 65535)); then
      die 2 "$name=\"$value\" is invalid: expected a port number 1-65535"
    fi
    if [[ $seen == *" $value:"* ]]; then
      local other=${seen#* "$value":}
      die 2 "$name=\"$value\" is invalid: expected a port no other local-stack service uses (${other%% *} has it)"
    fi
    seen+="$value:$name "
    printf -v "$name" %s "$value"
  done
}

# The ports the running stack was started with (local-up records them), else the settings.
read_recorded_ports() {
  read_port_settings
  [ -s "$STACK/ports" ] || return 0
  local name value
  while IFS='=' read -r name value; do printf -v "$name" %s "$value"; done <"$STACK/ports"
}

# NAME=port lines of the current settings.
port_lines() {
  local entry name
  for entry in "${PORT_SETTINGS[@]}"; do
    IFS=: read -r name _ <<<"$entry"
    echo "$name=${!name}"
  done
}

# --- pid files: "<pid> <start time>" so that a reused pid is never mistaken for ours ---

# Start time of a live process in clock ticks since boot (field 22 of /proc/<pid>/stat); fails
# for a zombie (exited, not yet reaped by its new parent).
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $stat
  [ "$1" != Z ] && echo "${20}"
}

record_pid() { # name pid
  local t
  t=$(start_time "$2") || return 1
  echo "$2 $t" >"$STACK/$1.pid"
}

# Prints the pid of the process local-up started as <name> if that very process still runs.
our_pid() {
  local f=$STACK/$1.pid pid t now
  [ -s "$f" ] || return 1
  read -r pid t <"$f" || true
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  now=$(start_time "$pid") || return 1
  [ "$now" = "$t" ] || return 1
  echo "$pid"
}

# stop_ours NAME [SECONDS] [SIGNAL]: SIGNAL (TERM) to the process recorded for NAME, SIGKILL
# after SECONDS (20).
# A pid file whose process is gone, or whose pid now belongs to another process, is removed
# and nothing is signalled.
stop_ours() {
  local name=$1 wait=${2:-20} signal=${3:-TERM} pid i
  if ! pid=$(our_pid "$name"); then
    if [ -e "$STACK/$name.pid" ]; then
      echo "  $name: not running (stale pid file removed)"
      rm -f "$STACK/$name.pid"
    fi
    return 0
  fi
  kill -"$signal" "$pid" 2>/dev/null || true
  for ((i = 0; i < wait * 10; i++)); do
    our_pid "$name" >/dev/null || break
    sleep 0.1
  done
  if our_pid "$name" >/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    echo "  $name: stopped (pid $pid, SIGKILL after ${wait}s)"
  else
    echo "  $name: stopped (pid $pid)"
  fi
  rm -f "$STACK/$name.pid"
}

# --- ports ---

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Who listens on a TCP port, as ss shows it ("users:((...))"), for error messages.
port_holder() {
  command -v ss >/dev/null || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | awk '{print $4, $6}' | head -1
}

# Addresses a process listens on (ss), e.g. "127.0.0.1:3333 *:3333".
listen_addresses() {
  command -v ss >/dev/null || return 0
  ss -ltnpH 2>/dev/null | awk -v p="pid=$1," 'index($0, p) {print $4}' | sort -u | tr '\n' ' '
}

# wait_until SECONDS COMMAND...: polls every 0.2 s.
wait_until() {
  local limit=$(($1 * 5)) i
  shift
  for ((i = 0; i < limit; i++)); do
    "$@" && return 0
    sleep 0.2
  done
  return 1
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1" 2>/dev/null; }

secret_file() { # name: creates a 0600 file with 32 random bytes in hex once, prints its path
  local f=$STACK/$1
  if [ ! -s "$f" ]; then
    (umask 077 && od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$f")
  fi
  echo "$f"
}

# --- the stack's services ---

# outpost-server runs either as a process (pid file) or as a container (container id file).
outpost_running() {
  if [ -s "$STACK/outpost-server.container" ]; then
    [ "$(docker inspect -f '{{.State.Running}}' "$(cat "$STACK/outpost-server.container")" 2>/dev/null)" = true ]
  else
    our_pid outpost-server >/dev/null
  fi
}

service_running() { # name
  if [ "$1" = outpost-server ]; then outpost_running; else our_pid "$1" >/dev/null; fi
}

redis_ok() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }
