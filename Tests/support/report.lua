-- For wrk: prints the run's totals as one JSON line, read by harness.py.
-- With WRK_DELAY_MS above 0, each connection waits about that many milliseconds (uniformly from half
-- to one and a half times it, so connections do not fire in step) before each request: connections
-- divided by the delay sets the rate, which wrk itself has no option for.
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0") or 0
if pause > 0 then
  local low, high = math.max(1, math.floor(pause / 2)), math.floor(pause * 3 / 2)
  function delay()
    return math.random(low, high)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
