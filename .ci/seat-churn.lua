-- wrk script of `make bench`: take + release churn of the floating feature "seat". Each thread
-- has its own 50 devices (churn-T-0 … churn-T-49); each device alternates
-- POST /api/v1/features/check (takes a seat) and POST /api/v1/features/release (frees it).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "License " .. os.getenv("KEYWARD_BENCH_KEY")
local n = 0
function setup(thread)
  n = n + 1
  thread:set("tid", n)
end
function init()
  count = 0
end
function request()
  count = count + 1
  local device = "churn-" .. tid .. "-" .. (count % 50)
  local path = "/api/v1/features/check"
  if math.floor(count / 50) % 2 == 1 then
    path = "/api/v1/features/release"
  end
  return wrk.format(nil, path, nil, '{"fingerprint":"' .. device .. '","feature":"seat"}')
end
