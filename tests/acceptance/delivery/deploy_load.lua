-- Paced read load for deploy acceptance tests: each connection waits `delay_ms` between
-- requests (wrk 4.1 has no rate option), and each thread stops after `max_per_thread`
-- responses, so the run is bounded in count as well as by wrk's -d duration.
dofile(os.getenv("FIXIA_REPORT_LUA"))

local paths = {"/api/v1/categories", "/api/v1/services?q=plomero", "/api/v1/services"}
local delay_ms = tonumber(os.getenv("FIXIA_LOAD_DELAY_MS") or "40")
local max_per_thread = tonumber(os.getenv("FIXIA_LOAD_MAX") or "100000")
local i = 0
local seen = 0

function request()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end

function delay()
  return delay_ms
end

local report_response = response
function response(status, headers, body)
  report_response(status, headers, body)
  seen = seen + 1
  if seen >= max_per_thread then
    wrk.thread:stop()
  end
end
