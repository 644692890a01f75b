import type { FakeSettings } from "./settings";

// Outpost v1.2.0's retry rule (internal/deliverymq/messagehandler.go shouldScheduleRetry,
// internal/backoff/backoff.go, internal/config/config.go GetRetryBackoff): a failed attempt
// is retried only when the event is eligible_for_retry and its attempt number (1-based)
// is at most the retry limit; so an event gets at most 1 + limit attempts.
export interface RetryPolicy {
  maxRetries: number;
  // Delay before the attempt after `attempt` (1-based), in milliseconds.
  delayMsAfter(attempt: number): number;
}

export function retryPolicy(s: FakeSettings): RetryPolicy {
  if (s.retrySchedule.length > 0) {
    const schedule = s.retrySchedule;
    // ScheduledBackoff: past the end of the schedule the last delay repeats.
    return {
      maxRetries: schedule.length,
      delayMsAfter: (attempt) => schedule[Math.min(attempt - 1, schedule.length - 1)] * 1000,
    };
  }
  // ExponentialBackoff{Interval: RETRY_INTERVAL_SECONDS, Base: 2}: 30 s, 60 s, 120 s, ...
  return {
    maxRetries: s.maxRetryLimit,
    delayMsAfter: (attempt) => s.retryIntervalSeconds * 1000 * 2 ** (attempt - 1),
  };
}

export function shouldRetry(policy: RetryPolicy, eligibleForRetry: boolean, attempt: number): boolean {
  return eligibleForRetry && attempt <= policy.maxRetries;
}
