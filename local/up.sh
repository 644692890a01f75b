#!/usr/bin/env bash
# make local-up: Outpost v1.2.0 and everything a load test needs, as local processes on
# 127.0.0.1, state and logs under .local/ (LOCAL_DIR). Idempotent: what already runs (started
# by an earlier local-up) is reported, not restarted. Stop with make local-down.
#
# Order: settings (one line and exit 2 on a bad value), Outpost (one line and exit 3 when there
# is none), free ports (one line naming the port's variable), missing Debian packages (apt-get),
# then the services.
set -euo pipefail
# shellcheck source=local/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=local/find-outpost.sh
. "$ROOT/local/find-outpost.sh"

read_port_settings
mkdir -p "$STACK" "$LOGS"
# A running stack keeps its ports: changing one needs a local-down first.
for s in "${SERVICES[@]}"; do
  if ! service_running "$s" || [ ! -s "$STACK/ports" ]; then continue; fi
  changed=$(port_lines | grep -vxFf "$STACK/ports" | head -1) || true
  [ -z "$changed" ] ||
    die 2 "$changed: the local stack runs with $(grep "^${changed%%=*}=" "$STACK/ports"); make local-down first to change its ports"
  break
done
find_outpost

# --- ports: each service that is not already ours needs its ports free ---

check_ports() {
  local entry name service
  for entry in "${PORT_SETTINGS[@]}"; do
    IFS=: read -r name _ service <<<"$entry"
    service_running "$service" && continue
    if port_open "${!name}"; then
      die 1 "$name=${!name}: the port is in use by another process ($(port_holder "${!name}")), not by this stack: stop it or choose another port"
    fi
  done
}
check_ports

# --- packages ---

# The newest PostgreSQL server installed from Debian (bookworm: 15).
pg_bin() { find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -1; }

install_missing_packages() {
  local need=() pkg
  command -v curl >/dev/null || need+=(curl)
  command -v ss >/dev/null || need+=(iproute2) # listening addresses in local-status
  command -v redis-server >/dev/null || need+=(redis-server)
  [ -n "$(pg_bin)" ] || need+=(postgresql)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
  for pkg in prometheus prometheus-process-exporter prometheus-redis-exporter prometheus-postgres-exporter; do
    command -v "$pkg" >/dev/null || need+=("$pkg")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  command -v apt-get >/dev/null || die 1 "missing ${need[*]} and no apt-get to install them: install them, then run make local-up again"
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "installing ${need[*]} (apt-get)"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >"$LOGS/apt-get.log" 2>&1 ||
    die 1 "apt-get install ${need[*]} failed, see $LOGS/apt-get.log"
  # The packages may start system-wide services on the ports this stack uses; stop the ones
  # this install brought (only those).
  local svc
  for svc in "${need[@]}"; do
    case $svc in curl | iproute2) continue ;; esac
    "${sudo[@]}" systemctl stop "$svc" 2>/dev/null || "${sudo[@]}" service "$svc" stop 2>/dev/null || true
  done
}
install_missing_packages
PG_BIN=$(pg_bin)
RABBITMQ_SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server

# --- secrets (0600 files, never printed) ---
API_KEY_FILE=$(secret_file api-key)
AES_SECRET_FILE=$(secret_file aes-secret)
SERVICE_PASSWORD_FILE=$(secret_file service-password) # PostgreSQL and RabbitMQ user "outpost"
SERVICE_PASSWORD=$(cat "$SERVICE_PASSWORD_FILE")

# started NAME PID: records the pid and says so.
started() {
  record_pid "$1" "$2" || die 1 "$1 exited at start, see $LOGS/$1.log"
  echo "  $1: started (pid $2)"
}

# already NAME: true (and says so) when local-up's earlier process still runs.
already() {
  local pid
  pid=$(our_pid "$1") || return 1
  echo "  $1: already running (pid $pid)"
}

# await NAME SECONDS CHECK...: waits for CHECK; on timeout stops with the log's last lines.
await() {
  local name=$1 seconds=$2
  shift 2
  wait_until "$seconds" "$@" && return 0
  echo "$name did not become ready within ${seconds}s; last lines of $LOGS/$name.log:" >&2
  tail -n 5 "$LOGS/$name.log" >&2 2>/dev/null || true
  exit 1
}

start_redis() { # name port persistence-args...
  local name=$1 port=$2
  shift 2
  already "$name" && return 0
  mkdir -p "$STACK/$name"
  setsid redis-server --bind 127.0.0.1 --port "$port" --dir "$STACK/$name" --save "" --daemonize no "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null &
  started "$name" $!
  await "$name" 10 redis_ok "$port"
}

# PostgreSQL's own data directory (initdb once), run as user postgres when we are root
# (PostgreSQL refuses to run as root).
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  already postgres && return 0
  local data=$STACK/postgres log=$LOGS/postgres.log
  touch "$log"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$log"; fi
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data"
    local pwfile=$STACK/postgres.pwfile
    (umask 077 && printf %s "$SERVICE_PASSWORD" >"$pwfile")
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$data" "$pwfile"; fi
    as_pg "$PG_BIN/initdb" -D "$data" -U outpost --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --no-instructions >>"$log" 2>&1 || die 1 "initdb failed, see $log"
    rm -f "$pwfile"
  fi
  # No Unix socket: TCP on loopback only.
  as_pg "$PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $LOCAL_POSTGRES_PORT -c unix_socket_directories=''" start >/dev/null ||
    die 1 "PostgreSQL did not start, see $log"
  started postgres "$(head -1 "$data/postmaster.pid")"
  local psql=(env PGPASSWORD="$SERVICE_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$LOCAL_POSTGRES_PORT" -U outpost -d postgres -qtA)
  if [ "$("${psql[@]}" -c "select 1 from pg_database where datname = 'outpost'")" != 1 ]; then
    "${psql[@]}" -c "create database outpost" >/dev/null
  fi
}

# RabbitMQ with its own epmd (own port), node name, config, data and cookie under $STACK.
rabbitmq_env() {
  local dir=$STACK/rabbitmq
  env HOME="$dir/home" RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_NODENAME=olt@localhost \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$LOGS/rabbitmq" RABBITMQ_PID_FILE="$dir/beam.pid" \
    RABBITMQ_DIST_PORT="$LOCAL_RABBITMQ_DIST_PORT" ERL_EPMD_PORT="$LOCAL_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" "$@"
}

start_epmd() {
  already epmd && return 0
  setsid epmd -port "$LOCAL_EPMD_PORT" -address 127.0.0.1 >>"$LOGS/epmd.log" 2>&1 </dev/null &
  started epmd $!
  await epmd 10 port_open "$LOCAL_EPMD_PORT"
}

launch_rabbitmq() {
  already rabbitmq && return 0
  local dir=$STACK/rabbitmq
  mkdir -p "$dir/home" "$dir/mnesia" "$LOGS/rabbitmq"
  : >"$dir/rabbitmq-env.conf" # not /etc/rabbitmq/rabbitmq-env.conf
  [ -s "$dir/home/.erlang.cookie" ] || (umask 077 && od -An -N20 -tx1 /dev/urandom | tr -d ' \n' >"$dir/home/.erlang.cookie")
  chmod 400 "$dir/home/.erlang.cookie"
  echo "[rabbitmq_prometheus]." >"$dir/enabled_plugins"
  (
    umask 077
    cat >"$dir/rabbitmq.conf" <<CONF
listeners.tcp.1 = 127.0.0.1:$LOCAL_RABBITMQ_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $LOCAL_RABBITMQ_PROMETHEUS_PORT
# one series per queue (queue depths), not only totals
prometheus.return_per_object_metrics = true
default_user = outpost
default_pass = $SERVICE_PASSWORD
CONF
  )
  rm -f "$dir/beam.pid"
  rabbitmq_env setsid "$RABBITMQ_SERVER" >>"$LOGS/rabbitmq.log" 2>&1 </dev/null &
  echo "  rabbitmq: starting"
}

rabbitmq_up() {
  port_open "$LOCAL_RABBITMQ_PORT" && port_open "$LOCAL_RABBITMQ_PROMETHEUS_PORT"
}

finish_rabbitmq() {
  our_pid rabbitmq >/dev/null && return 0
  # The Erlang VM writes its pid early in the boot: record it first, so that local-down can stop
  # a RabbitMQ that never became ready.
  await rabbitmq 60 test -s "$STACK/rabbitmq/beam.pid"
  started rabbitmq "$(cat "$STACK/rabbitmq/beam.pid")"
  await rabbitmq 120 rabbitmq_up
}

start_mock() {
  already mock-webhook && return 0
  # What npm run mock does, in two steps so that the pid is the server's.
  (cd "$ROOT" && ./scripts/install-deps.sh node >"$LOGS/npm.log" 2>&1 && npx tsc -p tsconfig.node.json >>"$LOGS/npm.log" 2>&1) ||
    die 1 "building the mock webhook failed, see $LOGS/npm.log"
  (cd "$ROOT" && MOCK_HOST=127.0.0.1 MOCK_PORT=$LOCAL_MOCK_PORT REDIS_URL=redis://127.0.0.1:$LOCAL_RUNSTATE_REDIS_PORT \
    exec setsid node "$ROOT/build/mock-webhook/main.js" >>"$LOGS/mock-webhook.log" 2>&1 </dev/null) &
  started mock-webhook $!
  await mock-webhook 30 http_ok "http://127.0.0.1:$LOCAL_MOCK_PORT/healthz"
}

# monitoring/prometheus/local.yml with this stack's ports in place of the defaults.
prometheus_config() {
  local entry name default sed_args=()
  for entry in "${PORT_SETTINGS[@]}"; do
    IFS=: read -r name default _ <<<"$entry"
    sed_args+=(-e "s/127\.0\.0\.1:$default\b/127.0.0.1:@$name@/g")
  done
  for entry in "${PORT_SETTINGS[@]}"; do
    IFS=: read -r name _ _ <<<"$entry"
    sed_args+=(-e "s/@$name@/${!name}/g")
  done
  sed "${sed_args[@]}" "$ROOT/monitoring/prometheus/local.yml" >"$STACK/prometheus.yml"
}

regex_quote() { printf %s "$1" | sed 's/[][\.*^$+?(){}|]/\\&/g'; }

# process-exporter groups: CPU and memory per process of this stack (children included:
# PostgreSQL's backends, Erlang's helpers).
process_exporter_config() {
  local data_re home_re config_re outpost_match
  data_re=$(regex_quote "$STACK/postgres")
  home_re=$(regex_quote "$STACK/rabbitmq/home")
  config_re=$(regex_quote "$STACK/outpost-run/empty.yaml")
  # In a container outpost-server's command line does not name this stack.
  outpost_match="cmdline: ['--config\s+$config_re']"
  [ "$OUTPOST_MODE" = binary ] || outpost_match="comm: [outpost-server]"
  cat >"$STACK/process-exporter.yml" <<YAML
process_names:
  - name: outpost-server
    $outpost_match
  - name: outpost-redis
    comm: [redis-server]
    cmdline: ['127\.0\.0\.1:$LOCAL_OUTPOST_REDIS_PORT\b']
  - name: run-state-redis
    comm: [redis-server]
    cmdline: ['127\.0\.0\.1:$LOCAL_RUNSTATE_REDIS_PORT\b']
  - name: postgres
    comm: [postgres]
    cmdline: ['-D\s+$data_re']
  - name: rabbitmq
    comm: [beam.smp]
    cmdline: ['-home\s+$home_re']
  - name: mock-webhook
    comm: [node]
    cmdline: ['$(regex_quote "$ROOT/build/mock-webhook/main.js")']
YAML
}

start_monitoring() {
  if ! already prometheus; then
    prometheus_config
    mkdir -p "$STACK/prometheus-data"
    setsid prometheus --config.file="$STACK/prometheus.yml" --web.listen-address="127.0.0.1:$LOCAL_PROMETHEUS_PORT" \
      --web.enable-remote-write-receiver --storage.tsdb.path="$STACK/prometheus-data" \
      >>"$LOGS/prometheus.log" 2>&1 </dev/null &
    started prometheus $!
  fi
  if ! already process-exporter; then
    process_exporter_config
    setsid prometheus-process-exporter -config.path "$STACK/process-exporter.yml" \
      -web.listen-address "127.0.0.1:$LOCAL_PROCESS_EXPORTER_PORT" >>"$LOGS/process-exporter.log" 2>&1 </dev/null &
    started process-exporter $!
  fi
  if ! already redis-exporter; then
    # Prometheus scrapes both Redis through /scrape?target=… (monitoring/prometheus/local.yml).
    setsid prometheus-redis-exporter -web.listen-address "127.0.0.1:$LOCAL_REDIS_EXPORTER_PORT" \
      -redis.addr "redis://127.0.0.1:$LOCAL_OUTPOST_REDIS_PORT" >>"$LOGS/redis-exporter.log" 2>&1 </dev/null &
    started redis-exporter $!
  fi
  if ! already postgres-exporter; then
    DATA_SOURCE_NAME="postgresql://outpost:$SERVICE_PASSWORD@127.0.0.1:$LOCAL_POSTGRES_PORT/outpost?sslmode=disable" \
      setsid prometheus-postgres-exporter --web.listen-address="127.0.0.1:$LOCAL_POSTGRES_EXPORTER_PORT" \
      >>"$LOGS/postgres-exporter.log" 2>&1 </dev/null &
    started postgres-exporter $!
  fi
}

# --- Outpost ---

# Load-test settings; each can be overridden by exporting the same Outpost variable.
# RETRY_SCHEDULE= (empty) gives Outpost's own schedule (30 s doubling, 10 retries).
outpost_settings() {
  cat <<SETTINGS
DELIVERY_MAX_CONCURRENCY=${DELIVERY_MAX_CONCURRENCY:-100}
LOG_MAX_CONCURRENCY=${LOG_MAX_CONCURRENCY:-10}
LOG_BATCH_THRESHOLD_SECONDS=${LOG_BATCH_THRESHOLD_SECONDS:-1}
DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP=${DESTINATIONS_INCLUDE_MILLISECOND_TIMESTAMP:-true}
DISABLE_TELEMETRY=${DISABLE_TELEMETRY:-true}
LOG_LEVEL=${LOG_LEVEL:-warn}
SETTINGS
  local schedule=${RETRY_SCHEDULE-1,2,4}
  [ -z "$schedule" ] || echo "RETRY_SCHEDULE=$schedule"
  [ -z "${MAX_RETRY_LIMIT:-}" ] || echo "MAX_RETRY_LIMIT=$MAX_RETRY_LIMIT"
}

# Attempts Outpost makes per event with these settings (verify's OUTPOST_MAX_ATTEMPTS):
# 1 + the schedule's length, else 1 + MAX_RETRY_LIMIT (10).
outpost_max_attempts() {
  local schedule limit
  schedule=$(sed -n 's/^RETRY_SCHEDULE=//p' "$STACK/outpost.settings")
  limit=$(sed -n 's/^MAX_RETRY_LIMIT=//p' "$STACK/outpost.settings")
  if [ -n "$schedule" ]; then
    local commas=${schedule//[^,]/}
    echo $((${#commas} + 2))
  else
    echo $((${limit:-10} + 1))
  fi
}

# Everything outpost and outpost-server read, one VAR=value a line (also Docker's --env-file).
write_outpost_env() {
  (
    umask 077
    {
      echo "API_PORT=$LOCAL_OUTPOST_PORT"
      echo "API_KEY=$(cat "$API_KEY_FILE")"
      echo "AES_ENCRYPTION_SECRET=$(cat "$AES_SECRET_FILE")"
      echo "REDIS_HOST=127.0.0.1"
      echo "REDIS_PORT=$LOCAL_OUTPOST_REDIS_PORT"
      echo "POSTGRES_URL=postgres://outpost:$SERVICE_PASSWORD@127.0.0.1:$LOCAL_POSTGRES_PORT/outpost?sslmode=disable"
      echo "RABBITMQ_SERVER_URL=amqp://outpost:$SERVICE_PASSWORD@127.0.0.1:$LOCAL_RABBITMQ_PORT"
      echo "MQS_AUTO_PROVISION=true"
      cat "$STACK/outpost.settings"
    } >"$STACK/outpost.env"
  )
}

# Runs an Outpost binary with outpost.env. Outpost loads a config file by itself (.env,
# .outpost.yaml, config/… in its working directory, /config/…: internal/config/config.go):
# CONFIG names an empty file instead (empty files are skipped), and the working directory is
# an empty one. ClickHouse or a Redis password from the caller's environment would point it
# away from this stack. It execs: call it in a subshell or in the background.
run_outpost() {
  mkdir -p "$STACK/outpost-run"
  cd "$STACK/outpost-run"
  : >"$STACK/outpost-run/empty.yaml"
  export CONFIG=$STACK/outpost-run/empty.yaml
  unset CLICKHOUSE_ADDR REDIS_PASSWORD REDIS_USERNAME
  local line
  while IFS= read -r line; do export "${line?}"; done <"$STACK/outpost.env"
  exec "$@"
}

outpost_healthy() { http_ok "http://127.0.0.1:$LOCAL_OUTPOST_PORT/healthz"; }

container_name() { echo "olt-outpost-$(printf %s "$STACK" | cksum | cut -d' ' -f1)"; }

start_outpost() {
  if outpost_running; then
    echo "  outpost-server: already running (make local-down first to start it with other settings)"
    return 0
  fi
  outpost_settings >"$STACK/outpost.settings"
  write_outpost_env
  if [ "$OUTPOST_MODE" = docker ]; then
    echo "$OUTPOST_FOUND" >"$STACK/outpost.source"
  else
    echo "$OUTPOST_FOUND, outpost-server --version: $("$OUTPOST_DIR/outpost-server" --version 2>&1 | head -1)" >"$STACK/outpost.source"
  fi
  local migrate_log=$LOGS/outpost-migrate.log
  if [ "$OUTPOST_MODE" = docker ]; then
    docker run --rm --network host --env-file "$STACK/outpost.env" "$OUTPOST_IMAGE" migrate apply --yes >>"$migrate_log" 2>&1 ||
      die 1 "outpost migrate apply failed, see $migrate_log"
    docker rm -f "$(container_name)" >/dev/null 2>&1 || true
    # Host network: Outpost reaches the services and the mock on 127.0.0.1.
    docker run -d --name "$(container_name)" --network host --env-file "$STACK/outpost.env" "$OUTPOST_IMAGE" \
      >"$STACK/outpost-server.container" 2>>"$migrate_log" || die 1 "docker run $OUTPOST_IMAGE failed, see $migrate_log"
    echo "  outpost-server: started (container $(container_name), $OUTPOST_IMAGE)"
    (docker logs -f "$(container_name)" >>"$LOGS/outpost-server.log" 2>&1 &)
  else
    (run_outpost "$OUTPOST_DIR/outpost" migrate apply --yes) >>"$migrate_log" 2>&1 ||
      die 1 "outpost migrate apply failed, see $migrate_log"
    rm -f "$STACK/outpost-server.container"
    # --config (the same file as CONFIG) names this stack on the command line, for process-exporter.
    run_outpost setsid "$OUTPOST_DIR/outpost-server" --config "$STACK/outpost-run/empty.yaml" \
      >>"$LOGS/outpost-server.log" 2>&1 </dev/null &
    started outpost-server $!
  fi
  local i
  for ((i = 0; i < 300; i++)); do
    outpost_healthy && return 0
    outpost_running || break
    sleep 0.2
  done
  echo "outpost-server did not become healthy; last lines of $LOGS/outpost-server.log:" >&2
  tail -n 5 "$LOGS/outpost-server.log" >&2 || true
  exit 1
}

port_lines >"$STACK/ports"
echo "local stack in $LOCAL_DIR (Outpost from $OUTPOST_FOUND)"
start_redis run-state-redis "$LOCAL_RUNSTATE_REDIS_PORT" --appendonly yes
start_redis outpost-redis "$LOCAL_OUTPOST_REDIS_PORT" --appendonly no
start_postgres
start_epmd
launch_rabbitmq
start_mock
start_monitoring
finish_rabbitmq
start_outpost

# Without secrets: the key is read from its file when the line runs.
cat >"$STACK/env.sh" <<ENV
export OUTPOST_URL=http://127.0.0.1:$LOCAL_OUTPOST_PORT
export OUTPOST_API_KEY="\$(cat '$API_KEY_FILE')"
export REDIS_URL=redis://127.0.0.1:$LOCAL_RUNSTATE_REDIS_PORT
export MOCK_URL=http://127.0.0.1:$LOCAL_MOCK_PORT
export OUTPOST_MAX_ATTEMPTS=$(outpost_max_attempts)
export K6_PROMETHEUS_RW_SERVER_URL=http://127.0.0.1:$LOCAL_PROMETHEUS_PORT/api/v1/write
ENV

echo
"$ROOT/local/status.sh" || true
echo
echo "To run the scenarios against this stack, export (or: . $STACK/env.sh):"
sed 's/^/  /' "$STACK/env.sh"
