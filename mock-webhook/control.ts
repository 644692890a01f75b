import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError } from "../src/config/env";
import type { Coordinator } from "./coordinator";
import { type FaultConfig, type Faults, faultsFromJson, faultsToJson, NO_FAULTS } from "./faults";
import { readBody, sendError, sendJson } from "./respond";

const MAX_CONTROL_BODY = 64 * 1024;

// GET shows the faults in force; PUT merges the given fields into them;
// DELETE turns every fault off. Changes reach all workers before the answer.
export async function handleFaultControl(
  faults: Faults,
  coordinator: Coordinator,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method === "GET") return sendJson(res, 200, faultsToJson(faults.config));
  if (req.method === "DELETE") {
    await coordinator.applyFaults(NO_FAULTS);
    return sendJson(res, 200, faultsToJson(NO_FAULTS));
  }
  if (req.method !== "PUT") return sendError(res, 405, "expected GET, PUT or DELETE /control/faults");
  const body = await readBody(req, MAX_CONTROL_BODY);
  if (body === null) return sendError(res, 413, `control body larger than ${MAX_CONTROL_BODY} bytes`);
  let next: FaultConfig;
  try {
    next = faultsFromJson(body.toString("utf8"), faults.config);
  } catch (err) {
    if (err instanceof ConfigError) return sendError(res, 400, err.message);
    throw err;
  }
  await coordinator.applyFaults(next);
  return sendJson(res, 200, faultsToJson(next));
}
