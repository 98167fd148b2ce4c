-- wrk script of `make bench`: POST /api/v1/validate with the license key in $KEYWARD_BENCH_KEY.
wrk.method = "POST"
wrk.body = '{"fingerprint":"bench-1"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "License " .. os.getenv("KEYWARD_BENCH_KEY")
