-- wrk script of scripts/bench_write.sh: every request is a different write from a target file,
-- and the status of every answer is kept.
--
-- Environment: BENCH_TARGETS (file, one "METHOD<TAB>PATH<TAB>BODY" a line: distinct steps, no project
-- twice within a window of many lines), BENCH_TOKEN (the bearer token), BENCH_OUT (thread t writes
-- the line number of every target answered 2xx to BENCH_OUT.t), BENCH_THREADS (N).
-- Run with as many threads as connections (-t N -c N): one connection per thread answers in the
-- order it was asked, so the n-th answer of a thread is the answer to its n-th request. Thread t of
-- N takes lines t, t+N, t+2N, ...; when its lines run out it stops asking (wrk.thread:stop()).
-- Written for wrk 4.1 (Debian 12); the database check of scripts/bench_write.sh would report a
-- wrk that maps answers differently (2xx answers whose step was not written).

local threads = {}
local counter = 0

function setup(thread)
    thread:set("tid", counter)
    counter = counter + 1
    table.insert(threads, thread)
end

function init(args)
    local n = tonumber(os.getenv("BENCH_THREADS"))
    local token = os.getenv("BENCH_TOKEN")
    lines = {}
    sent, answered, ok, bad = 0, 0, 0, 0
    okf = io.open(os.getenv("BENCH_OUT") .. "." .. tid, "w")
    okf:setvbuf("line")
    local i = 0
    for line in io.lines(os.getenv("BENCH_TARGETS")) do
        if i % n == tid then
            local m, p, b = line:match("^(%S+)\t(%S+)\t(.*)$")
            table.insert(lines, {i + 1, wrk.format(m, p, {
                ["Authorization"] = "Bearer " .. token,
                ["Content-Type"] = "application/json"
            }, b)})
        end
        i = i + 1
    end
end

function request()
    -- wrk 4 calls request() once in thread 0 before the run to check the script's request
    -- (script_verify_request): that call is not sent, so it must not use up a target
    if tid == 0 and not verified then
        verified = true
        return lines[1][2]
    end
    sent = sent + 1
    local l = lines[sent]
    if l == nil then -- out of targets: a read that writes nothing, then the thread stops
        wrk.thread:stop()
        return wrk.format("GET", "/healthz")
    end
    return l[2]
end

function response(status, headers, body)
    answered = answered + 1
    if answered > #lines then return end
    if status >= 200 and status < 300 then
        ok = ok + 1
        okf:write(lines[answered][1], "\n")
    else
        bad = bad + 1
        if bad <= 3 then io.stderr:write("bench_write.lua: ", status, " ", body:sub(1, 200), "\n") end
    end
end

function done(summary, latency, requests)
    local ok_all, bad_all = 0, 0
    for _, t in ipairs(threads) do
        ok_all = ok_all + t:get("ok")
        bad_all = bad_all + t:get("bad")
    end
    io.write(string.format("SUMMARY ok=%d bad=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f errors=%d\n", ok_all, bad_all,
        summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
