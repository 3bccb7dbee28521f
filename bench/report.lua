-- wrk script for bench/load.sh: POST /v1/reports for people drawn at random from a file of
-- people who have given the lender an inquiry consent for loan approval (purpose 02), one a line:
-- the document number and the consent's reference, which the request names as its proof.
--   OB_KEY   the lender's API key
--   OB_DOCS  that file (ID numbers: kept in the bench's data folder only)
-- Prints nothing per request; done() prints one summary line that load.sh checks.

local thread_id = 0

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

local docs = {}
local refs = {}
local headers = {}

function init(args)
  local path = os.getenv("OB_DOCS")
  for line in io.lines(path) do
    local number, ref = line:match("^(%S+) (%S+)$")
    if number then
      docs[#docs + 1] = number
      refs[#refs + 1] = ref
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
  local i = math.random(#docs)
  local body = '{"document_type":"prc_resident_id","document_number":"' .. docs[i] ..
    '","purpose":"02","consent_ref":"' .. refs[i] .. '"}'
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
