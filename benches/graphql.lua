-- wrk script: POSTs one GraphQL request (args: token, file with the JSON body) and
-- counts responses that are not 200 or whose body holds "errors".
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  token = args[1]
  local f = assert(io.open(args[2], "r"))
  body = f:read("*a")
  f:close()
  bad = 0
end

function request()
  return wrk.format("POST", "/graphql", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end

function response(status, headers, response_body)
  if status ~= 200 or string.find(response_body, '"errors"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
  end
  io.write(string.format("requests/s: %.0f  p50: %.1f ms  p99: %.1f ms  responses with errors: %d of %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000, total, summary.requests))
end
