// The floor for bench:generator: k6 publishing a 1 KiB event per iteration to the sink at the
// same rate and VUs as dist/throughput.js, with nothing else (no Redis, no custom metrics).
import http from "k6/http";
import exec from "k6/execution";

const rate = Number(__ENV.RATE);
export const options = {
  scenarios: {
    bare: {
      executor: "constant-arrival-rate",
      rate,
      timeUnit: "1s",
      duration: __ENV.DURATION,
      preAllocatedVUs: Number(__ENV.PRE_ALLOCATED_VUS),
      maxVUs: Number(__ENV.MAX_VUS),
    },
  },
};

const padding = "x".repeat(1024 - 40);
const params = { headers: { "Content-Type": "application/json", Authorization: `Bearer ${__ENV.OUTPOST_API_KEY}` } };

export default function () {
  const seq = exec.scenario.iterationInTest;
  http.post(
    `${__ENV.OUTPOST_URL}/api/v1/publish`,
    JSON.stringify({ id: `bare_${seq}`, tenant_id: "bare-t0", topic: "loadtest.event", data: { seq, padding } }),
    params,
  );
}
