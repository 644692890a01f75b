# shellcheck shell=bash
# wait_for_testrun NAME: waits until the k6-operator TestRun NAME (namespace $APP_NS) reaches
# stage "finished". Fails on stage "error", after TIMEOUT_SECONDS (default 7200), and once pods of
# the run have stayed Pending for RUNNER_PENDING_SECONDS (default 120) for any reason but their
# containers being created: a runner the scheduler cannot place leaves the TestRun in stage
# "created" for good, so waiting out TIMEOUT_SECONDS would only hide the reason. Sourced by
# distributed.sh; test/infra runs it against a fake kubectl.

# One line per Pending pod of the TestRun (the operator labels them k6_cr=NAME): the pod's name,
# a tab, and why it waits: the scheduler's verdict and its containers' waiting reasons.
pending_pods() {
  kubectl -n "$APP_NS" get pods -l "k6_cr=$1" --field-selector=status.phase=Pending -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{range .status.conditions[?(@.reason=="Unschedulable")]}{.reason}: {.message} {end}{range .status.containerStatuses[*]}{.state.waiting.reason}: {.state.waiting.message} {end}{"\n"}{end}'
}

# Pending pods that are not simply starting (no verdict yet, or containers being created).
stuck_pods() {
  local pod why
  while IFS=$'\t' read -r pod why; do
    why="${why%"${why##*[![:space:]]}"}" # without trailing blanks
    case "$why" in
      "" | "ContainerCreating:" | "PodInitializing:") ;;
      *) printf '  %s: %s\n' "$pod" "$why" ;;
    esac
  done < <(pending_pods "$1")
}

wait_for_testrun() {
  local name="$1" timeout="${TIMEOUT_SECONDS:-7200}" grace="${RUNNER_PENDING_SECONDS:-120}"
  local deadline=$((SECONDS + timeout)) stuck_since="" stage stuck
  while :; do
    stage="$(kubectl -n "$APP_NS" get testrun "$name" -o jsonpath='{.status.stage}')"
    case "$stage" in
      finished) return 0 ;;
      error) die "the TestRun reached stage 'error': kubectl -n $APP_NS describe testrun $name" ;;
    esac
    stuck="$(stuck_pods "$name")"
    if [ -z "$stuck" ]; then
      stuck_since=""
    else
      stuck_since="${stuck_since:-$SECONDS}"
      if ((SECONDS - stuck_since >= grace)); then
        die "pods of TestRun $name stayed Pending for ${grace}s (stage '$stage'):
$stuck
A runner the scheduler cannot place usually means the host is too small for this SIZE and
PARALLELISM (docs/infra.md, 'Host needed per SIZE'). Details: kubectl -n $APP_NS describe pod <pod>;
the TestRun stays for inspection, and the next 'make distributed' replaces it."
      fi
    fi
    ((SECONDS < deadline)) || die "the TestRun did not finish within ${timeout}s (stage '$stage')"
    sleep 5
  done
}
