// Request-body decoding with the answers Outpost's gin handlers give
// (internal/apirouter/errorhandler_middleware.go, internal/apirouter/validate.go):
// undecodable JSON or a field of the wrong type is 422 "invalid JSON"; a failed `required`
// is 422 "validation error" with one message per field.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly data?: string[],
  ) {
    super(message);
  }
}

export const invalidJson = () => new HttpError(422, "invalid JSON");
export const validation = (data: string[]) => new HttpError(422, "validation error", data);

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function parseBody(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw invalidJson();
  }
  if (!isObject(v)) throw invalidJson();
  return v;
}

export function optionalString(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") throw invalidJson();
  return v;
}

// map[string]string fields of a publish: anything but strings fails decoding.
export function stringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || !Object.values(v).every((x) => typeof x === "string")) throw invalidJson();
  return v as Record<string, string>;
}

// models.MapStringString on tenants and destinations: values of other types become strings.
export function coercedStringMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalidJson();
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, typeof x === "string" ? x : x === null ? "" : JSON.stringify(x)]),
  );
}
