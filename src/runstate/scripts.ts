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

// KEYS: acc:t, rej:t, t2:t, pub, lat (run-wide), tl:publish, then (ta:d, lat:d) per destination of t.
// ARGV: ttl, local, t2 (ms since startedAt), publish latency µs, epoch second, record latency (1|0).
// Returns 1 when newly accepted, 0 when this sequence was already accepted (a harness anomaly).
export const PUBLISH_ACCEPTED: Script = {
  name: "publish_accepted",
  source: `${PRELUDE}
local loc = ARGV[2]
local old = redis.call('SETBIT', KEYS[1], loc, 1)
expire_nx(KEYS[1])
if old == 1 then
  redis.call('HINCRBY', KEYS[4], 'accepted_again', 1)
  expire_nx(KEYS[4])
  return 0
end
if redis.call('HINCRBY', KEYS[4], 'accepted', 1) == 1 then expire_nx(KEYS[4]) end
if redis.call('HINCRBY', KEYS[6], ARGV[5], 1) == 1 then expire_nx(KEYS[6]) end
local t2 = tonumber(ARGV[3])
redis.call('BITFIELD', KEYS[3], 'SET', 'u32', '#' .. loc, t2 + 1)
expire_nx(KEYS[3])
if ARGV[6] == '1' then
  record_hist(KEYS[5], 'publish', tonumber(ARGV[4]))
  for i = 7, #KEYS, 2 do
    local ta = redis.call('BITFIELD', KEYS[i], 'GET', 'u32', '#' .. loc)[1]
    if ta > 0 then record_difference(KEYS[i + 1], 'queue', ((ta - 1) - t2) * 1000) end
  end
end
return 1
`,
};

// KEYS: rej:t, pub.  ARGV: ttl, local, reason (e.g. "rejected:500", "error:timeout", "duplicate").
export const PUBLISH_NOT_ACCEPTED: Script = {
  name: "publish_not_accepted",
  source: `${PRELUDE}
if ARGV[3] ~= 'duplicate' then
  redis.call('SETBIT', KEYS[1], ARGV[2], 1)
  expire_nx(KEYS[1])
end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
expire_nx(KEYS[2])
return 1
`,
};

// KEYS: rcv:d, dst:d, lat:d, tl:d<d>, t2:t, ta:d.
// ARGV: ttl, local, delivery µs (-1 none), end-to-end µs (-1 none), epoch second,
//       attempt start ms since startedAt (-1 none), record latency (1|0), signature status.
// Returns 1 for the first delivery of this event to this destination, 0 for a duplicate.
export const RECEIPT: Script = {
  name: "receipt",
  source: `${PRELUDE}
local loc = ARGV[2]
if redis.call('HINCRBY', KEYS[2], 'attempts', 1) == 1 then expire_nx(KEYS[2]) end
redis.call('HINCRBY', KEYS[2], 'sig:' .. ARGV[8], 1)
if redis.call('SETBIT', KEYS[1], loc, 1) == 1 then
  redis.call('HINCRBY', KEYS[2], 'duplicate', 1)
  return 0
end
if redis.call('HINCRBY', KEYS[2], 'first', 1) == 1 then expire_nx(KEYS[1]) end
if redis.call('HINCRBY', KEYS[4], ARGV[5], 1) == 1 then expire_nx(KEYS[4]) end
if ARGV[7] == '1' then
  record_hist(KEYS[3], 'delivery', tonumber(ARGV[3]))
  record_hist(KEYS[3], 'e2e', tonumber(ARGV[4]))
  local ta = tonumber(ARGV[6])
  if ta >= 0 then
    local t2 = redis.call('BITFIELD', KEYS[5], 'GET', 'u32', '#' .. loc)[1]
    if t2 > 0 then
      record_difference(KEYS[3], 'queue', (ta - (t2 - 1)) * 1000)
    else
      redis.call('BITFIELD', KEYS[6], 'SET', 'u32', '#' .. loc, ta + 1)
      expire_nx(KEYS[6])
    end
  end
end
return 1
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

// Above this many undelivered faulted events of one destination the LEDGER
// script does not look at each one (it would block Redis for seconds): they
// stay "in flight" and verify says the split was skipped.
export const EXHAUSTED_SPLIT_LIMIT = 100_000;

// Per-destination set arithmetic, all on the server.
// KEYS: acc:t, rej:t, rcv:d, flt:d, fltn:d, then scratch keys ones, a, b, c, e.
// ARGV: ttl, list cap, retry split (1|0), Outpost's attempts per event (0 = unknown).
// Returns {accepted, received, delivered, missing, in_flight, faulted,
//          delivered_unacknowledged, unknown, {missing locals}, {in-flight locals},
//          exhausted, {exhausted locals}, exhausted split done (1|0)}.
// delivered = received AND accepted; undelivered = accepted AND NOT received,
// split (with the retry split) into faulted ones and the missing rest. A
// faulted one whose every attempt Outpost may make got an injected fault is
// exhausted (Outpost gave up by design); the others are in flight. received AND
// rejected = delivered although publish was not acknowledged; any other
// received bit is an unknown receipt.
export const LEDGER: Script = {
  name: "ledger",
  source: `${PRELUDE}
local acc, rej, rcv, flt, fltn = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local ones, a, b, c, e = KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10]
local cap = tonumber(ARGV[2])
local max_attempts = tonumber(ARGV[4])
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
local accepted = redis.call('BITCOUNT', acc)
local received = redis.call('BITCOUNT', rcv)
local faulted = redis.call('BITCOUNT', flt)
local len = math.max(redis.call('STRLEN', acc), redis.call('STRLEN', rej), redis.call('STRLEN', rcv), redis.call('STRLEN', flt))
if len == 0 then return {0, 0, 0, 0, 0, 0, 0, 0, {}, {}, 0, {}, 1} end
redis.call('SET', ones, string.rep('\\255', len))
redis.call('BITOP', 'AND', a, rcv, acc)
local delivered = redis.call('BITCOUNT', a)
redis.call('BITOP', 'AND', a, rcv, rej)
local unacknowledged = redis.call('BITCOUNT', a)
local unknown = received - delivered - unacknowledged
redis.call('BITOP', 'XOR', b, rcv, ones)
redis.call('BITOP', 'AND', a, acc, b)
local in_flight, in_flight_list, exhausted, exhausted_list, split_done = 0, {}, 0, {}, 1
if ARGV[3] == '1' then
  redis.call('BITOP', 'AND', c, a, flt)
  in_flight = redis.call('BITCOUNT', c)
  if max_attempts == 1 then
    exhausted, in_flight = in_flight, 0
    redis.call('BITOP', 'OR', e, c, c)
    redis.call('DEL', c)
  elseif max_attempts > 1 and in_flight <= ${EXHAUSTED_SPLIT_LIMIT} then
    local pos = 0
    while true do
      local p = redis.call('BITPOS', c, 1, pos, -1, 'BIT')
      if p < 0 then break end
      if redis.call('BITFIELD', fltn, 'GET', 'u4', '#' .. p)[1] >= max_attempts then
        redis.call('SETBIT', c, p, 0)
        redis.call('SETBIT', e, p, 1)
        exhausted = exhausted + 1
      end
      pos = p + 1
    end
    in_flight = in_flight - exhausted
  elseif max_attempts > 1 then
    split_done = 0
  end
  in_flight_list = list(c)
  exhausted_list = list(e)
  redis.call('BITOP', 'XOR', b, flt, ones)
  redis.call('BITOP', 'AND', a, a, b)
end
local missing = redis.call('BITCOUNT', a)
local missing_list = list(a)
redis.call('DEL', ones, a, b, c, e)
return {accepted, received, delivered, missing, in_flight, faulted, unacknowledged, unknown, missing_list, in_flight_list, exhausted, exhausted_list, split_done}
`,
};

// KEYS: end.  ARGV: ttl, ended-at ms. Several runners tear down: keep the latest.
export const RUN_END: Script = {
  name: "run_end",
  source: `${PRELUDE}
local cur = redis.call('HGET', KEYS[1], 'endedAtMs')
if (not cur) or tonumber(ARGV[2]) > tonumber(cur) then redis.call('HSET', KEYS[1], 'endedAtMs', ARGV[2]) end
redis.call('HINCRBY', KEYS[1], 'teardowns', 1)
expire_nx(KEYS[1])
return 1
`,
};

// Cheap progress poll for verify: total accepted deliveries expected versus
// first deliveries seen. KEYS: acc:t per tenant, then dst:d per destination.
// ARGV: ttl, tenant count, destinations per tenant.
export const PROGRESS: Script = {
  name: "progress",
  source: `${PRELUDE}
local tenants, per = tonumber(ARGV[2]), tonumber(ARGV[3])
local expected, seen = 0, 0
for i = 1, tenants do expected = expected + redis.call('BITCOUNT', KEYS[i]) * per end
for i = tenants + 1, #KEYS do seen = seen + tonumber(redis.call('HGET', KEYS[i], 'first') or '0') end
return {expected, seen}
`,
};
