// The publish side as throughput counted it (pub hash): what Outpost
// acknowledged, refused, or never answered.
export interface PublishCounters {
  accepted: number;
  // Outpost answered duplicate:true (the id was published before).
  duplicate: number;
  // HTTP status -> count for non-2xx answers.
  rejected: Record<string, number>;
  // Error kind -> count for publishes that got no answer.
  errors: Record<string, number>;
  notAccepted: number;
  // Refused (non-2xx) or never answered: rejected plus errors, duplicates not included.
  failed: number;
  // Accepted events whose t0 is their iteration start: past the derivable schedule.
  unscheduled: number;
  // Publishes k6 made (accepted + not accepted) and the profile's plan: fewer
  // attempts than planned are iterations k6 dropped or a run cut short.
  attempted: number;
  planned: number;
  // How many schedules `planned` adds up (one per traffic profile): each may
  // start one iteration more or fewer than its area.
  schedules: number;
  // Fields this module does not interpret, kept so nothing is hidden.
  other: Record<string, number>;
}

// Planned publishes never attempted. k6's arrival-rate executors may start one
// iteration more or fewer than the schedule's area, so a shortfall of one per
// schedule is none.
export function shortfall(p: PublishCounters): number {
  return p.planned > 0 && p.attempted < p.planned - p.schedules ? p.planned - p.attempted : 0;
}

export function publishCounters(hash: Record<string, number>, planned: number, schedules = 1): PublishCounters {
  const out: PublishCounters = {
    accepted: 0,
    duplicate: 0,
    rejected: {},
    errors: {},
    notAccepted: 0,
    failed: 0,
    unscheduled: 0,
    attempted: 0,
    planned,
    schedules,
    other: {},
  };
  for (const [field, n] of Object.entries(hash)) {
    if (field === "t0_unscheduled") {
      out.unscheduled = n;
      continue;
    }
    if (field === "accepted") out.accepted = n;
    else if (field === "duplicate") out.duplicate = n;
    else if (field.startsWith("rejected:")) out.rejected[field.slice("rejected:".length)] = n;
    else if (field.startsWith("error:")) out.errors[field.slice("error:".length)] = n;
    else {
      out.other[field] = n;
      continue;
    }
    if (field !== "accepted") out.notAccepted += n;
    if (field !== "accepted" && field !== "duplicate") out.failed += n;
  }
  out.attempted = out.accepted + out.notAccepted;
  return out;
}
