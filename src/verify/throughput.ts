import type { RunRecord } from "../runstate/record";
import type { RunStateStore } from "../runstate/store";

export interface TimelinePoint {
  // Unix epoch second.
  second: number;
  published: number;
  delivered: number;
  // Deliveries that second's accepted publishes owe: each one times its
  // profile's destinations per tenant.
  owed: number;
}

export interface Rate {
  events: number;
  firstSecond: number;
  lastSecond: number;
  // Whole epoch seconds from the first to the last one with an event, inclusive.
  seconds: number;
  perSecond: number;
  peakPerSecond: number;
}

export interface Throughput {
  published: Rate | null;
  delivered: Rate | null;
}

type Series = Array<[number, number]>;

// A profile's accepted publishes per second, and the deliveries each one owes.
export interface PublishSeries {
  series: Series;
  destinationsPerTenant: number;
}

// Beyond this span seconds without events are left out: a single receipt
// stamped by a badly skewed clock must not make a row for every second between.
export const MAX_DENSE_TIMELINE_SECONDS = 48 * 3600;

// One row per second from the first to the last second of either series,
// zeros included so gaps in delivery are visible (up to MAX_DENSE_TIMELINE_SECONDS).
export function buildTimeline(published: PublishSeries[], deliveries: Series[]): TimelinePoint[] {
  const rows = new Map<number, TimelinePoint>();
  const at = (second: number): TimelinePoint => {
    const known = rows.get(second);
    if (known !== undefined) return known;
    const p = { second, published: 0, delivered: 0, owed: 0 };
    rows.set(second, p);
    return p;
  };
  for (const { series, destinationsPerTenant } of published)
    for (const [s, n] of series) {
      at(s).published += n;
      at(s).owed += n * destinationsPerTenant;
    }
  for (const series of deliveries) for (const [s, n] of series) at(s).delivered += n;
  if (rows.size === 0) return [];
  // reduce, not Math.min(...): a day-long soak has 86,400 seconds.
  const seconds = Array.from(rows.keys());
  const first = seconds.reduce((a, b) => Math.min(a, b));
  const last = seconds.reduce((a, b) => Math.max(a, b));
  if (last - first >= MAX_DENSE_TIMELINE_SECONDS) return Array.from(rows.values()).sort((a, b) => a.second - b.second);
  const out: TimelinePoint[] = [];
  for (let s = first; s <= last; s++) out.push(rows.get(s) ?? { second: s, published: 0, delivered: 0, owed: 0 });
  return out;
}

function rate(timeline: TimelinePoint[], pick: (p: TimelinePoint) => number): Rate | null {
  const busy = timeline.filter((p) => pick(p) > 0);
  if (busy.length === 0) return null;
  const firstSecond = busy[0].second;
  const lastSecond = busy[busy.length - 1].second;
  const events = busy.reduce((s, p) => s + pick(p), 0);
  const peakPerSecond = busy.reduce((m, p) => Math.max(m, pick(p)), 0);
  const seconds = lastSecond - firstSecond + 1;
  return { events, firstSecond, lastSecond, seconds, perSecond: events / seconds, peakPerSecond };
}

export function throughputOf(timeline: TimelinePoint[]): Throughput {
  return { published: rate(timeline, (p) => p.published), delivered: rate(timeline, (p) => p.delivered) };
}

// The run's timeline and throughput, and each profile's throughput.
export async function readThroughput(
  store: RunStateStore,
  record: RunRecord,
): Promise<{ timeline: TimelinePoint[]; throughput: Throughput; profiles: Throughput[] }> {
  const published: PublishSeries[] = [];
  const delivered: Series[][] = [];
  for (const p of record.profiles) {
    published.push({ series: await store.publishTimeline(p.index), destinationsPerTenant: p.destinationsPerTenant });
    const own: Series[] = [];
    for (let j = 0; j < p.tenants * p.destinationsPerTenant; j++)
      own.push(await store.deliveryTimeline(p.firstDestination + j));
    delivered.push(own);
  }
  const timeline = buildTimeline(published, delivered.flat());
  return {
    timeline,
    throughput: throughputOf(timeline),
    profiles: published.map((series, i) => throughputOf(buildTimeline([series], delivered[i]))),
  };
}
