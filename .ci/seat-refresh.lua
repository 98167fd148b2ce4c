-- wrk script of `make bench`: POST /api/v1/features/check by devices seat-0 … seat-99, which hold
-- their seat of the floating feature "seat" already: every request is a refresh.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "License " .. os.getenv("KEYWARD_BENCH_KEY")
function init()
  count = 0
end
function request()
  count = count + 1
  return wrk.format(nil, nil, nil, '{"fingerprint":"seat-' .. (count % 100) .. '","feature":"seat"}')
end
