-- Shared by every fixiactl bench script (loaded with dofile): counts response statuses in
-- each wrk thread and, when the run ends, prints one machine-readable line that
-- fixiactl.bench.wrk parses. wrk's own text summary is for humans only.
--
-- wrk calls setup() in the main Lua state before each thread's init(), and done() in the
-- main state at the end; the per-thread status tables are copied back with thread:get().

local threads = {}

function setup(thread)
  -- A stable per-thread number: write.lua derives unique e-mails and DNIs from it.
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function status_json()
  local merged = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses") or {}) do
      merged[code] = (merged[code] or 0) + n
    end
  end
  local parts = {}
  for code, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%d":%d', code, n)
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'FIXIA_BENCH_RESULT {"duration_us":%.0f,"requests":%.0f,"bytes":%.0f,'
      .. '"errors":{"connect":%.0f,"read":%.0f,"write":%.0f,"status":%.0f,"timeout":%.0f},'
      .. '"latency_us":{"min":%.0f,"mean":%.1f,"max":%.0f,"stdev":%.1f,'
      .. '"p50":%.0f,"p90":%.0f,"p95":%.0f,"p99":%.0f},"statuses":%s}\n',
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), status_json()
  ))
end
