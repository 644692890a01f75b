import { LUA_RECORD_HISTOGRAM } from "./histogram";

// Server-side scripts: each keeps one event's bookkeeping atomic and in one
// round trip, and keeps binary bitmaps on the server (k6's Redis client turns
// every reply into a JavaScript string). ARGV[1] is always the TTL in seconds.
// Every command inside costs 1-3 µs of Redis time per event, so keys get their
// TTL when the script can tell it just created them (a counter that came back
// as 1), not with an EXPIRE on every call.

const PRELUDE = `
local ttl = tonumber(ARGV[1])
local function expire_nx(k) redis.call('EXPIRE', k, ttl, 'NX') end
${LUA_RECORD_HISTOGRAM}
`;

export interface Script {
  name: string;
  source: string;
}

// Records a batch of publish outcomes (k6 keeps them per VU and writes them
// together: src/publish/publish-log.ts) in one call, so Redis parses one command
// and writes each counter, timeline second and latency hash once per batch.
// Everything derived from an event's stamps is computed here rather than in k6,
// whose interpreter makes each operation costly.
// One call holds events of one traffic profile (p).
// KEYS: pub:p, lat:p<p>, tl:publish:p, routing, the latw:<window> of each window
//       the batch's latency samples fall in, then per tenant group of the batch:
//       acc:t, rej:t, t2:t, then (ta:d, lat:d, nrt:d) per destination of t.
// ARGV: ttl, destinations per tenant, the run's start (epoch ms), its warm-up end (epoch ms),
//       number of window keys, JSON list of each group's first destination index,
//       JSON list of events, JSON object of further publish counters to add.
// An event is [1, group, local, t0, iteration start (null when t0 is not the scheduled
//   time: no generator lag), t2, routed flags (one 1|0 per destination of t, in order:
//   did Outpost's answer list it), window key (1-based among the window keys, 0 none)]
//   when accepted (stamps in epoch ms, t0 possibly fractional), [0, group, local,
//   reason] when not (reason: "duplicate", "rejected:<status>", "error:<kind>"; all but
//   duplicate set the rejected bit).
// Returns how many events were newly accepted; an accepted sequence seen again
// counts as accepted_again (a harness anomaly).
export const PUBLISHES: Script = {
  name: "publishes",
  source: `${PRELUDE}
local per, started_at, warmup_ends = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local windows = tonumber(ARGV[5])
local first_destinations = cjson.decode(ARGV[6])
local pub, lat, timeline, routing = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local first_group, group_size = 5 + windows, 3 + 3 * per
local counts, seconds, written, first_at, last_at = {}, {}, {}, {}, {}
local newly = 0
local function bump(t, k, n) t[k] = (t[k] or 0) + n end
local function round(x) return math.floor(x + 0.5) end
local function set_bit(k, loc)
  written[k] = true
  return redis.call('SETBIT', k, loc, 1)
end
for _, ev in ipairs(cjson.decode(ARGV[7])) do
  local base = first_group + ev[2] * group_size
  local loc = ev[3]
  if ev[1] == 0 then
    if ev[4] ~= 'duplicate' then set_bit(KEYS[base + 1], loc) end
    bump(counts, ev[4], 1)
  elseif set_bit(KEYS[base], loc) == 1 then
    bump(counts, 'accepted_again', 1)
  else
    newly = newly + 1
    local t0, started, t2ms = ev[4], ev[5], round(ev[6])
    -- t2 in ms since the run's start: 32 bits hold 49 days.
    local t2 = math.max(0, t2ms - started_at)
    redis.call('BITFIELD', KEYS[base + 2], 'SET', 'u32', '#' .. loc, t2 + 1)
    written[KEYS[base + 2]] = true
    bump(seconds, math.floor(ev[6] / 1000), 1)
    for j = 1, per do
      if string.sub(ev[7], j, j) == '0' then
        -- Outpost did not route this event to the j-th destination: mark it and
        -- keep when that first and last happened.
        local d = first_destinations[ev[2] + 1] + j - 1
        set_bit(KEYS[base + 3 * j + 2], loc)
        if (not first_at[d]) or t2ms < first_at[d] then first_at[d] = t2ms end
        if (not last_at[d]) or t2ms > last_at[d] then last_at[d] = t2ms end
      end
    end
    if t0 >= warmup_ends then
      local kw, w = KEYS[4 + ev[8]], ev[8] - 1
      if started == cjson.null then
        record_difference(lat, 'publish', round((ev[6] - t0) * 1000), kw, w)
      else
        record_difference(lat, 'publish', round((ev[6] - started) * 1000), kw, w)
        record_difference(lat, 'generator_lag', round((started - t0) * 1000), kw, w)
      end
      for j = 1, per do
        -- A delivery that beat this ack parked its attempt start: the queue stage is computed here.
        local ta = redis.call('BITFIELD', KEYS[base + 3 * j], 'GET', 'u32', '#' .. loc)[1]
        if ta > 0 then record_difference(KEYS[base + 3 * j + 1], 'queue', ((ta - 1) - t2) * 1000, kw, w) end
      end
    end
  end
end
if newly > 0 then bump(counts, 'accepted', newly) end
for f, n in pairs(cjson.decode(ARGV[8])) do bump(counts, f, n) end
for f, n in pairs(counts) do
  redis.call('HINCRBY', pub, f, n)
  written[pub] = true
end
for second, n in pairs(seconds) do
  redis.call('HINCRBY', timeline, second, n)
  written[timeline] = true
end
for d, at in pairs(first_at) do
  local first, last = unpack(redis.call('HMGET', routing, 'first:' .. d, 'last:' .. d))
  if (not first) or at < tonumber(first) then redis.call('HSET', routing, 'first:' .. d, at) end
  if (not last) or last_at[d] > tonumber(last) then redis.call('HSET', routing, 'last:' .. d, last_at[d]) end
  written[routing] = true
end
write_histograms()
for k in pairs(written) do expire_nx(k) end
return newly
`,
};

// Records the receipts of one or more successful deliveries (the mock writes
// those of concurrent requests together: mock-webhook/receipt-writer.ts) in one
// call; counters, timeline seconds and latency hashes written once per batch.
// KEYS: the latw:<window> of each window the batch's samples fall in, then per
//       destination group of the batch: rcv:d, dst:d, lat:d, tl:d<d>, t2:t (t: d's tenant), ta:d.
// ARGV: ttl, number of window keys, JSON list of receipts, each [group, local,
//       delivery µs (null none), end-to-end µs (null none), epoch second of t3,
//       attempt start ms since startedAt (-1 none), record latency (1|0),
//       signature status, window key (1-based among the window keys, 0 none),
//       receiver hold µs (the latency the mock adds before answering)].
// Returns one integer per receipt: 1 for the first delivery of the event to the
// destination, 0 for a duplicate.
export const RECEIPTS: Script = {
  name: "receipts",
  source: `${PRELUDE}
local windows = tonumber(ARGV[2])
local counts, parked, out, receipts_of = {}, {}, {}, {}
for i, r in ipairs(cjson.decode(ARGV[3])) do
  local base = windows + 1 + r[1] * 6
  local rcv, dst, lat, tl, t2k, tak = KEYS[base], KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4], KEYS[base + 5]
  local loc = r[2]
  receipts_of[dst] = rcv
  add_to(counts, dst, 'attempts', 1)
  add_to(counts, dst, 'sig:' .. r[8], 1)
  if redis.call('SETBIT', rcv, loc, 1) == 1 then
    add_to(counts, dst, 'duplicate', 1)
    out[i] = 0
  else
    out[i] = 1
    add_to(counts, dst, 'first', 1)
    add_to(counts, tl, r[5], 1)
    if r[7] == 1 then
      local kw, w = KEYS[r[9]], r[9] - 1
      if r[3] ~= cjson.null then record_difference(lat, 'delivery', r[3], kw, w) end
      if r[4] ~= cjson.null then record_difference(lat, 'e2e', r[4], kw, w) end
      record_hist(lat, 'receiver', r[10], kw, w)
      local ta = r[6]
      if ta >= 0 then
        local t2 = redis.call('BITFIELD', t2k, 'GET', 'u32', '#' .. loc)[1]
        if t2 > 0 then
          record_difference(lat, 'queue', (ta - (t2 - 1)) * 1000, kw, w)
        else
          -- The publish ack is not recorded yet: park the attempt start for PUBLISHES.
          redis.call('BITFIELD', tak, 'SET', 'u32', '#' .. loc, ta + 1)
          parked[tak] = true
        end
      end
    end
  end
end
-- A key gets its TTL when created: a field that comes back equal to what was added
-- was just created, and rcv:d is created with dst:d's first field 'first'.
for k, fields in pairs(counts) do
  for f, n in pairs(fields) do
    if redis.call('HINCRBY', k, f, n) == n then
      expire_nx(k)
      if f == 'first' then expire_nx(receipts_of[k]) end
    end
  end
end
write_histograms()
for k in pairs(parked) do expire_nx(k) end
return out
`,
};

// KEYS: flt:d, dst:d, fltn:d.  ARGV: ttl, local, fault kind, signature status.
export const FAULT: Script = {
  name: "fault",
  source: `${PRELUDE}
redis.call('HINCRBY', KEYS[2], 'attempts', 1)
redis.call('HINCRBY', KEYS[2], 'fault:' .. ARGV[3], 1)
redis.call('HINCRBY', KEYS[2], 'sig:' .. ARGV[4], 1)
expire_nx(KEYS[2])
redis.call('SETBIT', KEYS[1], ARGV[2], 1)
expire_nx(KEYS[1])
redis.call('BITFIELD', KEYS[3], 'OVERFLOW', 'SAT', 'INCRBY', 'u4', '#' .. ARGV[2], 1)
expire_nx(KEYS[3])
return 1
`,
};

// Above this many undelivered faulted events of one destination the snapshot
// script does not look at each one (it would block Redis for seconds): they
// stay "retry pending" and verify says the split was skipped.
export const EXHAUSTED_SPLIT_LIMIT = 100_000;

// Scratch keys of RUN_SNAPSHOT, named for what they hold while one destination
// is computed; all are deleted before the script returns.
export const SNAPSHOT_SCRATCH = [
  "all_ones",
  "delivered",
  "not_received",
  "undelivered",
  "fault_pending",
  "fault_exhausted",
  "not_faulted",
  "not_routed",
  "routed",
] as const;

// The whole run in one atomic read, so a verify that runs while throughput
// and the mock are still writing sees one consistent state: every counter and
// bitmap of the run as of one instant, never a counter from before a write and
// a bitmap from after it. It blocks Redis for its duration (bench/verify-ledger.ts).
// KEYS: record, end, anomalies, routing, the SNAPSHOT_SCRATCH keys in that order,
//       then pub:p per profile, then acc:t, rej:t per tenant, then rcv:d, flt:d,
//       fltn:d, dst:d, nrt:d per destination (run-wide order).
// ARGV: ttl, list cap, profile count, then per profile: tenants, destinations per
//       tenant, Outpost's attempts per event (0 = unknown).
// Returns JSON (cjson) read by name in RunStateStore.snapshot: see RunSnapshot.
export const RUN_SNAPSHOT: Script = {
  name: "run_snapshot",
  source: `${PRELUDE}
local cap, profiles = tonumber(ARGV[2]), tonumber(ARGV[3])
local record, run_end, anomalies, routing = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local all_ones, delivered, not_received, undelivered = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local fault_pending, fault_exhausted, not_faulted = KEYS[9], KEYS[10], KEYS[11]
local not_routed, routed = KEYS[12], KEYS[13]
local first_pub_key = 14
local tenants = 0
for p = 0, profiles - 1 do tenants = tenants + tonumber(ARGV[4 + 3 * p]) end
local first_tenant_key = first_pub_key + profiles
local first_destination_key = first_tenant_key + 2 * tenants

local function hash(k)
  local flat, out = redis.call('HGETALL', k), {}
  for i = 1, #flat, 2 do out[flat[i]] = flat[i + 1] end
  return out
end
-- Local indexes of the set bits of k, in order, up to cap.
local function list(k)
  local out, pos = {}, 0
  while #out < cap do
    local p = redis.call('BITPOS', k, 1, pos, -1, 'BIT')
    if p < 0 then break end
    out[#out + 1] = p
    pos = p + 1
  end
  return out
end
-- Remaining TTL in ms, or nil for a key that does not exist.
local function pttl(k)
  local t = redis.call('PTTL', k)
  if t == -2 then return nil end
  return t
end
-- The shortest remaining TTL of the keys throughput writes (pub:*, acc:*, rej:*):
-- every key gets its TTL when created, so that is the oldest of them.
local oldest_publish_key_pttl = nil
local function consider(k)
  local left = pttl(k)
  if left and left >= 0 and ((not oldest_publish_key_pttl) or left < oldest_publish_key_pttl) then
    oldest_publish_key_pttl = left
  end
end
local out_publish = {}
for p = 0, profiles - 1 do
  consider(KEYS[first_pub_key + p])
  out_publish[p + 1] = hash(KEYS[first_pub_key + p])
end

local out_tenants, out_destinations = {}, {}
local t, d = 0, 0
for pi = 0, profiles - 1 do
  local profile_tenants, per, max_attempts = tonumber(ARGV[4 + 3 * pi]), tonumber(ARGV[5 + 3 * pi]), tonumber(ARGV[6 + 3 * pi])
  for _ = 1, profile_tenants do
    local acc = KEYS[first_tenant_key + 2 * t]
    local rej = KEYS[first_tenant_key + 2 * t + 1]
    consider(acc)
    consider(rej)
    out_tenants[t + 1] = {accepted = redis.call('BITCOUNT', acc), rejected = redis.call('BITCOUNT', rej)}
    for _ = 1, per do
      local base = first_destination_key + 5 * d
      local rcv, flt, fltn, dst, nrt = KEYS[base], KEYS[base + 1], KEYS[base + 2], KEYS[base + 3], KEYS[base + 4]
      local row = {
        destination = d,
        counters = hash(dst),
        received = redis.call('BITCOUNT', rcv),
        faulted = redis.call('BITCOUNT', flt),
        delivered = 0, unacknowledged = 0, not_routed = 0,
        undelivered_no_fault = 0, fault_pending = 0, fault_exhausted = 0, split_done = 1,
        undelivered_no_fault_list = {}, fault_pending_list = {}, fault_exhausted_list = {},
      }
      local len = math.max(redis.call('STRLEN', acc), redis.call('STRLEN', rej), redis.call('STRLEN', rcv),
        redis.call('STRLEN', flt), redis.call('STRLEN', nrt))
      if len > 0 then
        -- BITOP NOT only covers its source's length, and AND treats bytes past a
        -- shorter key as 0: "NOT x" is x XOR a string of ones as long as the longest bitmap.
        redis.call('SET', all_ones, string.rep('\\255', len))
        -- delivered: received AND accepted.
        redis.call('BITOP', 'AND', delivered, rcv, acc)
        row.delivered = redis.call('BITCOUNT', delivered)
        -- unacknowledged: received AND rejected (Outpost delivered what it did not acknowledge).
        redis.call('BITOP', 'AND', delivered, rcv, rej)
        row.unacknowledged = redis.call('BITCOUNT', delivered)
        -- not_routed: accepted, left out of Outpost's publish answer, AND NOT received
        -- (nrt bits are only ever set on accepted events).
        redis.call('BITOP', 'XOR', not_received, rcv, all_ones)
        redis.call('BITOP', 'AND', not_routed, nrt, not_received)
        row.not_routed = redis.call('BITCOUNT', not_routed)
        -- undelivered: accepted AND NOT received AND routed (NOT not-routed).
        redis.call('BITOP', 'XOR', routed, nrt, all_ones)
        redis.call('BITOP', 'AND', undelivered, acc, not_received, routed)
        -- fault_pending: undelivered AND faulted; those whose every attempt was
        -- faulted move to fault_exhausted (Outpost gave up by design).
        redis.call('BITOP', 'AND', fault_pending, undelivered, flt)
        local faulted_undelivered = redis.call('BITCOUNT', fault_pending)
        if max_attempts == 1 then
          redis.call('BITOP', 'OR', fault_exhausted, fault_pending, fault_pending)
          redis.call('DEL', fault_pending)
          row.fault_exhausted = faulted_undelivered
        elseif max_attempts > 1 and faulted_undelivered <= ${EXHAUSTED_SPLIT_LIMIT} then
          local pos = 0
          while true do
            local p = redis.call('BITPOS', fault_pending, 1, pos, -1, 'BIT')
            if p < 0 then break end
            if redis.call('BITFIELD', fltn, 'GET', 'u4', '#' .. p)[1] >= max_attempts then
              redis.call('SETBIT', fault_pending, p, 0)
              redis.call('SETBIT', fault_exhausted, p, 1)
              row.fault_exhausted = row.fault_exhausted + 1
            end
            pos = p + 1
          end
          row.fault_pending = faulted_undelivered - row.fault_exhausted
        else
          row.fault_pending = faulted_undelivered
          if max_attempts > 1 then row.split_done = 0 end
        end
        row.fault_pending_list = list(fault_pending)
        row.fault_exhausted_list = list(fault_exhausted)
        -- undelivered_no_fault: undelivered AND NOT faulted.
        redis.call('BITOP', 'XOR', not_faulted, flt, all_ones)
        redis.call('BITOP', 'AND', undelivered, undelivered, not_faulted)
        row.undelivered_no_fault = redis.call('BITCOUNT', undelivered)
        row.undelivered_no_fault_list = list(undelivered)
        redis.call('DEL', all_ones, delivered, not_received, undelivered, fault_pending, fault_exhausted, not_faulted,
          not_routed, routed)
      end
      out_destinations[d + 1] = row
      d = d + 1
    end
    t = t + 1
  end
end
return cjson.encode({
  record_pttl = pttl(record),
  oldest_publish_key_pttl = oldest_publish_key_pttl,
  run_end = hash(run_end),
  publish = out_publish,
  anomalies = hash(anomalies),
  routing = hash(routing),
  tenants = out_tenants,
  destinations = out_destinations,
})
`,
};

// KEYS: end.  ARGV: ttl, ended-at ms, schedule completed (1|0). Several
// runners tear down: keep the latest end, count the teardowns and those that
// stopped before the schedule's end (cutShort).
export const RUN_END: Script = {
  name: "run_end",
  source: `${PRELUDE}
local cur = redis.call('HGET', KEYS[1], 'endedAtMs')
if (not cur) or tonumber(ARGV[2]) > tonumber(cur) then redis.call('HSET', KEYS[1], 'endedAtMs', ARGV[2]) end
redis.call('HINCRBY', KEYS[1], 'teardowns', 1)
if ARGV[3] == '0' then redis.call('HINCRBY', KEYS[1], 'cutShort', 1) end
expire_nx(KEYS[1])
return 1
`,
};

// Cheap progress poll for verify: deliveries expected from accepted publishes
// (less those Outpost did not route) versus first deliveries of accepted
// events seen. A receipt counts only once its publish ack is recorded (a
// delivery can beat the ack to Redis, and a publish that timed out at k6 can
// still be delivered), so "every expected delivery arrived" cannot come early.
// KEYS: scratch, then acc:t per tenant, then (rcv:d, nrt:d) per destination (run-wide order).
// ARGV: ttl, profile count, then per profile: tenants, destinations per tenant.
// Returns JSON {expected, delivered}.
export const PROGRESS: Script = {
  name: "progress",
  source: `${PRELUDE}
local scratch, profiles = KEYS[1], tonumber(ARGV[2])
local tenants = 0
for p = 0, profiles - 1 do tenants = tenants + tonumber(ARGV[3 + 2 * p]) end
local expected, delivered = 0, 0
local t, d = 0, 0
for p = 0, profiles - 1 do
  local per = tonumber(ARGV[4 + 2 * p])
  for _ = 1, tonumber(ARGV[3 + 2 * p]) do
    local acc = KEYS[2 + t]
    for _ = 1, per do
      local at = 2 + tenants + 2 * d
      -- expected: accepted and routed (nrt bits are only set on accepted events)
      expected = expected + redis.call('BITCOUNT', acc) - redis.call('BITCOUNT', KEYS[at + 1])
      -- first deliveries of accepted events: received AND accepted
      redis.call('BITOP', 'AND', scratch, KEYS[at], acc)
      delivered = delivered + redis.call('BITCOUNT', scratch)
      d = d + 1
    end
    t = t + 1
  end
end
redis.call('DEL', scratch)
return cjson.encode({expected = expected, delivered = delivered})
`,
};
