/**
 * A token bucket in one atomic Lua call, plugged into RateLimiterRedis through its
 * documented `customIncrTtlLuaScript` option (the library's own script is a fixed window).
 *
 * Contract with rate-limiter-flexible: KEYS[1] = bucket key; ARGV = [points to take (negative
 * gives back), key TTL in seconds, capacity (the limiter's `points`), seconds for an empty
 * bucket to fill (the limiter's `duration`)]; returns {consumed, msBeforeNext}. The library
 * rejects when consumed > capacity, so a refused take answers capacity + requested and takes
 * nothing. msBeforeNext is the wait until the next token (or until the refused amount).
 *
 * The clock is Redis's TIME, so every process shares one clock as well as one budget. State
 * is a hash {tokens, at}; a missing key is a full bucket, so the key may expire once the
 * bucket would have filled again.
 */
export const TOKEN_BUCKET_SCRIPT = `
local requested = tonumber(ARGV[1])
local capacity = tonumber(ARGV[3])
local perMs = capacity / (tonumber(ARGV[4]) * 1000)
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local granted = requested <= tokens
if granted then
  tokens = math.min(capacity, tokens - requested)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
local needed = 1
if not granted then needed = requested end
local waitMs = math.max(0, math.ceil((needed - tokens) / perMs))
if granted then
  return { capacity - math.floor(tokens), waitMs }
end
return { capacity + requested, waitMs }
`;
