import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError } from "../src/config/env";
import { type FaultConfig, type Faults, faultsFromJson, faultsToJson, NO_FAULTS } from "../src/receiver/faults";
import { TEST_ID_PATTERN } from "../src/runstate/identity";
import { profileNamed, type RunProfile } from "../src/runstate/record";
import type { Coordinator } from "./coordinator";
import type { Receivers } from "./receivers";
import { readBody, sendError, sendJson } from "./respond";
import type { KnownRun, RunCache } from "./runs";

const MAX_CONTROL_BODY = 64 * 1024;

export interface ControlDeps {
  faults: Faults;
  receivers: Receivers;
  runs: RunCache;
  coordinator: Coordinator;
}

// The new faults from a PUT body merged into `base`, DELETE's none, or an answer already sent.
async function nextFaults(req: IncomingMessage, res: ServerResponse, base: FaultConfig): Promise<FaultConfig | null> {
  if (req.method === "DELETE") return NO_FAULTS;
  const body = await readBody(req, MAX_CONTROL_BODY);
  if (body === null) {
    sendError(res, 413, `control body larger than ${MAX_CONTROL_BODY} bytes`);
    return null;
  }
  try {
    return faultsFromJson(body.toString("utf8"), base);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    sendError(res, 400, err.message);
    return null;
  }
}

// The profile a control call names: ?profile=<name>, or the run's only one.
function profileOf(run: KnownRun, name: string | null): RunProfile | string {
  const names = run.record.profiles.map((p) => (p.name === "" ? '""' : p.name)).join(", ");
  if (name === null) {
    if (run.record.profiles.length === 1) return run.record.profiles[0];
    return `run ${run.record.testId} has several profiles: add ?profile= one of ${names}`;
  }
  return profileNamed(run.record, name) ?? `profile=${JSON.stringify(name)} is invalid: expected one of ${names}`;
}

// One profile's receiver behaviour: kept in Redis (every replica reads it
// within RECEIVER_REFRESH_MS), and this replica's workers drop their copy
// before the answer.
async function handleProfileControl(
  deps: ControlDeps,
  req: IncomingMessage,
  res: ServerResponse,
  testId: string,
  profileName: string | null,
): Promise<void> {
  if (!TEST_ID_PATTERN.test(testId))
    return sendError(
      res,
      400,
      `testId=${JSON.stringify(testId)} is invalid: expected a TEST_ID (1 to 48 letters, digits or '-')`,
    );
  const run = await deps.runs.get(testId);
  if (run.record === null) return sendError(res, 404, `no run record for testId=${testId}`);
  const profile = profileOf(run, profileName);
  if (typeof profile === "string") return sendError(res, 400, profile);
  const shown = (config: FaultConfig, source: string): Record<string, unknown> => ({
    testId,
    profile: profile.name,
    source,
    ...faultsToJson(config),
  });
  const now = await deps.receivers.current(run, profile, deps.faults);
  if (req.method === "GET") return sendJson(res, 200, shown(now.config, now.source));
  const next = await nextFaults(req, res, now.config);
  if (next === null) return;
  await run.store.setReceiverOverride(profile.index, JSON.stringify(faultsToJson(next)));
  await deps.coordinator.invalidateReceivers(testId);
  return sendJson(res, 200, shown(next, "control"));
}

// /control/faults: the mock's own faults; with ?testId=<run>[&profile=<name>],
// one traffic profile's receiver behaviour in that run. GET shows what is in
// force; PUT merges the given fields into it; DELETE turns every fault off.
// Changes reach all workers before the answer.
export async function handleFaultControl(deps: ControlDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET" && req.method !== "PUT" && req.method !== "DELETE")
    return sendError(res, 405, "expected GET, PUT or DELETE /control/faults");
  const query = new URL(req.url ?? "/", "http://mock").searchParams;
  const testId = query.get("testId");
  const profile = query.get("profile");
  if (testId !== null) return handleProfileControl(deps, req, res, testId, profile);
  if (profile !== null) return sendError(res, 400, "profile= needs testId=<the run's TEST_ID>");
  if (req.method === "GET") return sendJson(res, 200, faultsToJson(deps.faults.config));
  const next = await nextFaults(req, res, deps.faults.config);
  if (next === null) return;
  await deps.coordinator.applyFaults(next);
  return sendJson(res, 200, faultsToJson(next));
}
