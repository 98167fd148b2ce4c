-- wrk script of `make bench`: POST /api/v1/validate with a new nonce each request, so that every
-- answer is signed anew (no signature can be reused).
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
  return wrk.format(nil, nil, nil, '{"fingerprint":"bench-1","nonce":"t' .. tid .. '-' .. count .. '"}')
end
