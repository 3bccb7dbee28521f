-- wrk script for bench/load.sh: POST /v1/reports for people drawn at random from a file of
-- document numbers (one a line) whose people have given the lender an inquiry consent.
--   OB_KEY   the lender's API key
--   OB_DOCS  the file of document numbers (ID numbers: kept in the bench's data folder only)
-- Prints nothing per request; done() prints one summary line that load.sh checks.

local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

local docs = {}
local headers = {}

function init(args)
  local path = os.getenv("OB_DOCS")
  for line in io.lines(path) do
    if #line > 0 then
      docs[#docs + 1] = line
    end
  end
  if #docs == 0 then
    error("no document numbers in " .. path)
  end
  headers["Authorization"] = "Bearer " .. os.getenv("OB_KEY")
  headers["Content-Type"] = "application/json"
  -- Each thread its own sequence; the same across runs for a given thread count.
  math.randomseed(1000 + id)
end

function request()
  local number = docs[math.random(#docs)]
  local body = '{"document_type":"prc_resident_id","document_number":"' .. number .. '","purpose":"02"}'
  return wrk.format("POST", "/v1/reports", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "SUMMARY requests=%d seconds=%.1f rps=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f " ..
    "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000,
    e.status, e.connect, e.read, e.write, e.timeout))
end
