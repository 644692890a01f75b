# render_testrun PARALLELISM TEST_ID [k6 args...]: prints the TestRun (k6.io/v1alpha1) that
# distributed.sh applies. Sourced; test/infra checks its output.
render_testrun() {
  local parallelism="$1" test_id="$2" arg
  shift 2
  cat <<YAML
apiVersion: k6.io/v1alpha1
kind: TestRun
metadata:
  name: throughput
  namespace: $APP_NS
spec:
  parallelism: $parallelism
  script:
    configMap: { name: k6-throughput, file: throughput.js }
  # Passed to 'k6 run' one by one, never through a shell.
  args:
    - "--out"
    - "experimental-prometheus-rw"
    - "--tag"
    - "testid=$test_id"
YAML
  for arg in "$@"; do printf '    - %s\n' "$(yaml_quote "$arg")"; done
  cat <<YAML
  # The operator's own default is ghcr.io/grafana/k6-operator:latest-starter
  # (pkg/resources/jobs/starter.go); the image released with the operator is tagged
  # starter-<version> (.github/workflows/push.yaml), as the chart pins controller-<version>.
  starter:
    image: ghcr.io/grafana/k6-operator:starter-$K6_OPERATOR_VERSION
    # The operator's defaults for the starter, written out so the sizing check counts them.
    resources:
      requests: { cpu: 50m, memory: 2Mi }
      limits: { cpu: 100m, memory: 200Mi }
  initializer:
    image: $RUNNER_IMAGE
    imagePullPolicy: Never
  runner:
    image: $RUNNER_IMAGE
    imagePullPolicy: Never
    # k6 reads these as __ENV; every runner must share TEST_ID, or each would start its own run.
    env:
      - { name: TEST_ID, value: "$test_id" }
      # cluster-up.sh gives Outpost its API_KEY from this Secret (empty: every caller is admin);
      # without the same key every publish is a 401 and setup aborts.
      - name: OUTPOST_API_KEY
        valueFrom: { secretKeyRef: { name: olt-credentials, key: API_KEY } }
      - { name: OUTPOST_URL, value: "http://outpost-api.$APP_NS.svc:3333" }
      - { name: REDIS_URL, value: "redis://runstate-redis.$APP_NS.svc:6379" }
      - { name: MOCK_URL, value: "http://mock-webhook.$APP_NS.svc:48080" }
      - { name: MOCK_DESTINATION_URL, value: "http://mock-webhook.$APP_NS.svc:48080" }
      - { name: K6_PROMETHEUS_RW_SERVER_URL, value: "http://kps-prometheus.$MONITORING_NS.svc:9090/api/v1/write" }
      - { name: K6_PROMETHEUS_RW_TREND_STATS, value: "p(50),p(95),p(99),max" }
    # A runner may use a whole core; it reserves a quarter, so that PARALLELISM runners fit next
    # to the cluster on the host of its SIZE (docs/infra.md, test/infra/sizing.test.ts).
    resources:
      requests: { cpu: 250m, memory: 256Mi }
      limits: { cpu: "1", memory: 1Gi }
YAML
}

# A YAML double-quoted scalar: backslashes and double quotes escaped.
yaml_quote() {
  local s="${1//\\/\\\\}"
  printf '"%s"' "${s//\"/\\\"}"
}
