-- Mirrored GETs for a deploy (docs/operations/deploy.md, "Routing modes").
--
-- HAProxy 2.6 has no built-in mirroring and this host has no SPOE mirror agent, so be_app
-- calls the `fixia_mirror` action for safe requests while the routing map names a mirror
-- target. The action only copies the essentials of the request (path, query, a
-- few headers) and hands the copy to a task: the client's own request is never delayed, and
-- the mirrored answer is read, measured and discarded here — it never reaches a client.
-- Cookies and Authorization are not copied: a slot no real traffic has reached yet must not
-- act on anyone's session.
--
-- Counters (cumulative since HAProxy started) are read on the runtime API with
-- `fixia mirror`: sent, answered, 5xx, failed (no answer), skipped (too many in flight) and a
-- latency histogram with the app's own buckets, so the engine compares them with the stable
-- slot's metrics as it compares a canary.

local BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0}
-- Mirroring must never pile up on a slow new slot: beyond this many in flight, skip (counted).
local MAX_IN_FLIGHT = 32
local COPIED = {"accept", "accept-language", "user-agent", "x-request-id"}

local counters = {sent = 0, answered = 0, errors = 0, failed = 0, skipped = 0, in_flight = 0}
local histogram = {}
for i = 1, #BUCKETS + 1 do histogram[i] = 0 end

local function seconds(t)
    return t.sec + t.usec / 1000000
end

local function observe(elapsed)
    for i, le in ipairs(BUCKETS) do
        if elapsed <= le then
            histogram[i] = histogram[i] + 1
            return
        end
    end
    histogram[#BUCKETS + 1] = histogram[#BUCKETS + 1] + 1
end

local function send(url, headers)
    local started = seconds(core.now())
    local client = core.httpclient()
    local ok, response = pcall(client.get, client, {url = url, headers = headers, timeout = 10000})
    counters.in_flight = counters.in_flight - 1
    if not ok or response == nil or response.status == nil or response.status == 0 then
        counters.failed = counters.failed + 1
        return
    end
    counters.answered = counters.answered + 1
    if response.status >= 500 then
        counters.errors = counters.errors + 1
    end
    observe(seconds(core.now()) - started)
end

core.register_action("fixia_mirror", {"http-req"}, function(txn)
    local target = txn:get_var("txn.fixia_mirror")
    if target == nil or target == "off" then
        return
    end
    if counters.in_flight >= MAX_IN_FLIGHT then
        counters.skipped = counters.skipped + 1
        return
    end
    local headers = {["x-fixia-mirror"] = {"1"}}
    local request = txn.http:req_get_headers()
    for _, name in ipairs(COPIED) do
        if request[name] ~= nil and request[name][0] ~= nil then
            headers[name] = {request[name][0]}
        end
    end
    local url = "http://" .. target .. txn.sf:pathq()
    counters.sent = counters.sent + 1
    counters.in_flight = counters.in_flight + 1
    core.register_task(function() send(url, headers) end)
end, 0)

core.register_cli({"fixia", "mirror"}, "fixia mirror : the deploy mirror's counters", function(applet)
    local parts = {}
    for _, key in ipairs({"sent", "answered", "errors", "failed", "skipped", "in_flight"}) do
        parts[#parts + 1] = key .. "=" .. counters[key]
    end
    for i, le in ipairs(BUCKETS) do
        parts[#parts + 1] = "le_" .. le .. "=" .. histogram[i]
    end
    parts[#parts + 1] = "le_inf=" .. histogram[#BUCKETS + 1]
    applet:send(table.concat(parts, " ") .. "\n")
end)
