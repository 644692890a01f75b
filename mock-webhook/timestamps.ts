// Header timestamps turned into epoch milliseconds with sub-millisecond precision.

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

// Outpost's `timestamp-ms` header is an RFC3339Nano string despite its name.
// Date.parse keeps only milliseconds, so the fraction is added separately.
export function parseRfc3339Ms(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = RFC3339.exec(value.trim());
  if (m === null) return undefined;
  const whole = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(whole)) return undefined;
  return m[2] === undefined ? whole : whole + Number(`0.${m[2]}`) * 1000;
}

// The `lt-t0` event metadata: milliseconds since the epoch, possibly fractional.
export function parseEpochMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,16}(\.\d+)?$/.test(value.trim())) return undefined;
  return Number(value);
}
