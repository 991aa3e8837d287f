-- wrk script for scripts/bench_postgres.sh (a copy of bench_ingest.lua whose ids and times
-- are offset by VIGIL_ID_PREFIX and VIGIL_ID_BASE, so several wrk processes never collide):
-- POST /v1/predictions with 1,000 new predictions per request (NDJSON, unique ids per thread and request), counting responses that refused any item.
-- Timestamps advance 1 ms per prediction from 2026-11-01, as a model server's stream does (a
-- batch spans about a second, so it touches one or two hours of the per-hour aggregates).
local classes = {"bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"}
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("VIGIL_TOKEN")
  batch = tonumber(os.getenv("VIGIL_BATCH") or "1000")
  refused = 0
  prefix = os.getenv("VIGIL_ID_PREFIX") or "b"
end

function request()
  counter = counter + 1
  local lines = {}
  for i = 1, batch do
    local n = counter * batch + i
    local c = classes[(n % 10) + 1]
    local ms = n + (tid + tonumber(os.getenv("VIGIL_ID_BASE") or "0")) * 100000000
    lines[i] = string.format('{"id":"%s%d-%d","ts":"%s.%03dZ","model":"shelf-classifier","label":"%s","score":0.%d}',
      prefix, tid, n, os.date("!%Y-%m-%dT%H:%M:%S", 1793491200 + math.floor(ms / 1000)), ms % 1000, c, 10 + n % 89)
  end
  return wrk.format("POST", "/v1/predictions",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/x-ndjson"}, table.concat(lines, "\n"))
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"rejected":0', 1, true) then refused = refused + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("refused") or 0) end
  io.write(string.format("bench: requests %d, non-2xx %d, socket errors %d, refused-item responses %d\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, total))
  io.write(string.format("bench: predictions/s %.0f\n", summary.requests * tonumber(os.getenv("VIGIL_BATCH") or "1000") / (summary.duration / 1e6)))
  io.write(string.format("bench: ingest request latency p50 %.1f ms, p99 %.1f ms\n", latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
