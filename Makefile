# Keyward: `make run` starts the portal with demo data; `make test` is what CI runs.
GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN     := bin/keyward
VENDOR  := assets/vendor/chart.umd.min.js
# make bench starts its own server here; choose another with make bench BENCH_ADDR=127.0.0.1:18090
BENCH_ADDR ?= 127.0.0.1:18081

export CGO_ENABLED := 0

.PHONY: build run test tidy-check bench assets clean

## build: the single binary, with the views, assets and migrations embedded
build: assets
	$(GO) build -trimpath -ldflags '-s -w -X main.version=$(VERSION)' -o $(BIN) .

## run: build, then serve http://localhost:8080 with demo data in ./data, on loopback only:
## the demo passwords are public
run: build
	./$(BIN) --demo --data ./data --addr 127.0.0.1:8080

## test: tidy modules, vet, formatting and every test (browser tests need Debian's chromium), on SQLite;
## then, when KEYWARD_TEST_DATABASE holds a postgres:// URL (a role that may create databases), the
## same tests again on PostgreSQL, each test in a database of its own
test: assets tidy-check
	$(GO) vet ./...
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	KEYWARD_TEST_DATABASE= $(GO) test -timeout 20m ./...
	@if [ -n "$$KEYWARD_TEST_DATABASE" ]; then echo "== the same tests on PostgreSQL"; \
	  $(GO) test -timeout 30m ./...; \
	else echo "== KEYWARD_TEST_DATABASE is not set: the tests ran on SQLite only"; fi

## tidy-check: go.mod and go.sum are as `go mod tidy` leaves them (it prints what it would change)
tidy-check:
	@$(GO) mod tidy -diff || { echo "go.mod or go.sum is not tidy: run go mod tidy"; exit 1; }

## bench: Go benchmarks, then load runs with wrk (Debian's) against a real server on loopback, on SQLite;
## then, when KEYWARD_BENCH_DATABASE (or KEYWARD_TEST_DATABASE) names a PostgreSQL server, two
## instances on a new database of it (.ci/bench-postgres)
bench: build
	KEYWARD_TEST_DATABASE= $(GO) test -run '^$$' -bench . -benchmem ./...
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	@addr=$(BENCH_ADDR); if curl -s -o /dev/null http://$$addr/; then \
	  echo "something already listens on $$addr: choose another address with make bench BENCH_ADDR=127.0.0.1:PORT"; exit 1; fi; \
	  dir=$$(mktemp -d); \
	  KEYWARD_ADMIN_PASSWORD=bench-password-1 ./$(BIN) --demo --data $$dir --addr $$addr --device-rate 0 >$$dir/out.log 2>/dev/null & pid=$$!; \
	  trap 'kill $$pid; wait $$pid; rm -rf $$dir' EXIT; \
	  for i in $$(seq 100); do curl -fsS http://$$addr/healthz >/dev/null 2>&1 && break; sleep 0.1; done; \
	  echo "== GET /healthz: wrk -t2 -c50 -d10s"; \
	  wrk -t2 -c50 -d10s --latency http://$$addr/healthz | grep -E 'Requests/sec|Latency|99%'; \
	  token=$$(./$(BIN) token --data $$dir --email admin@localhost --name bench); \
	  api() { curl -fsS -H "Authorization: Bearer $$token" -H 'Content-Type: application/json' "$$@"; }; \
	  org=$$(api http://$$addr/api/v1/licenses?q=BER-MITTE | python3 -c 'import json,sys; print(json.load(sys.stdin)["licenses"][0]["organization_id"])'); \
	  api -d '{"code":"bench","name":"Bench","features":[{"code":"core","name":"Core"},{"code":"seat","name":"Seat","floating":true,"max_simultaneous_users":1000,"floating_timeout_minutes":60}]}' http://$$addr/api/v1/products >/dev/null; \
	  lic=$$(api -d '{"organization_id":'$$org',"product":"bench","features":["core","seat"],"currency":"EUR","term_years":1,"payment_period":"annual"}' http://$$addr/api/v1/licenses); \
	  id=$$(echo "$$lic" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'); \
	  export KEYWARD_BENCH_KEY=$$(echo "$$lic" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])'); \
	  api -d '{"action":"start"}' http://$$addr/api/v1/licenses/$$id/status >/dev/null; \
	  curl -fsS -H "Authorization: License $$KEYWARD_BENCH_KEY" -d '{"fingerprint":"bench-1"}' http://$$addr/api/v1/activate >/dev/null; \
	  curl -fsS -H "Authorization: License $$KEYWARD_BENCH_KEY" -d '{"fingerprint":"bench-1"}' http://$$addr/api/v1/validate | grep -q '"code":"VALID"' || { echo "validate is not VALID"; exit 1; }; \
	  echo "== POST /api/v1/validate, signed (the same answer each second: its signature is reused): wrk -t2 -c50 -d10s -s .ci/validate.lua"; \
	  wrk -t2 -c50 -d10s --latency -s .ci/validate.lua http://$$addr/api/v1/validate | grep -E 'Requests/sec|Latency|99%|Non-2xx'; \
	  echo "== POST /api/v1/validate, signed, a new nonce each request (every answer signed anew): wrk -t2 -c50 -d10s -s .ci/validate-nonce.lua"; \
	  wrk -t2 -c50 -d10s --latency -s .ci/validate-nonce.lua http://$$addr/api/v1/validate | grep -E 'Requests/sec|Latency|99%|Non-2xx'; \
	  dev() { curl -fsS -o /dev/null -H "Authorization: License $$KEYWARD_BENCH_KEY" -d "$$2" http://$$addr/api/v1/$$1; }; \
	  for i in $$(seq 0 99); do dev activate '{"fingerprint":"seat-'$$i'"}'; dev features/check '{"fingerprint":"seat-'$$i'","feature":"seat"}'; done; \
	  for t in 1 2; do for i in $$(seq 0 49); do dev activate '{"fingerprint":"churn-'$$t'-'$$i'"}'; done; done; \
	  echo "== POST /api/v1/features/check, refresh of held seats (100 devices): wrk -t2 -c50 -d10s -s .ci/seat-refresh.lua"; \
	  wrk -t2 -c50 -d10s --latency -s .ci/seat-refresh.lua http://$$addr/api/v1/features/check | grep -E 'Requests/sec|Latency|99%|Non-2xx'; \
	  echo "== features/check + features/release churn, take and free seats (100 devices): wrk -t2 -c50 -d10s -s .ci/seat-churn.lua"; \
	  wrk -t2 -c50 -d10s --latency -s .ci/seat-churn.lua http://$$addr/api/v1/features/check | grep -E 'Requests/sec|Latency|99%|Non-2xx'; \
	  ber=$$(api http://$$addr/api/v1/licenses?q=BER-MITTE | python3 -c 'import json,sys; print(json.load(sys.stdin)["licenses"][0]["id"])'); \
	  echo "== GET /api/v1/licenses/$$ber/estimate (demo license, 90 days of usage): wrk -t2 -c10 -d10s"; \
	  wrk -t2 -c10 -d10s --latency -H "Authorization: Bearer $$token" http://$$addr/api/v1/licenses/$$ber/estimate | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'
	./.ci/bench-postgres

## assets: the front-end packages of package.json, copied into assets/vendor/
assets: $(VENDOR)

$(VENDOR): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)
	cp node_modules/chart.js/LICENSE.md assets/vendor/chart.js.LICENSE.md

## clean: remove build outputs (never ./data)
clean:
	rm -rf bin node_modules assets/vendor/*.js assets/vendor/*.LICENSE.md
