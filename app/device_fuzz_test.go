package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The fuzz targets below send what the fuzzer makes of a device's JSON body to the running app
// (a real listener over a real SQLite file) with a valid license key, and hold every answer to
// two promises: never a 5xx, and a refusal (4xx) writes nothing at all. `go test` runs their
// seeds; `go test -run '^$' -fuzz '^FuzzDeviceAPI$' ./app` searches further.

// deviceEndpoints are the device API's JSON endpoints, chosen by the fuzzer with a byte.
var deviceEndpoints = []string{"/api/v1/activate", "/api/v1/validate", "/api/v1/deactivate",
	"/api/v1/features/check", "/api/v1/features/release", "/api/v1/usage"}

// deviceFuzz is the app a device fuzz target talks to: a license of a product with a floating
// feature, limited to 20 devices and 5,000 APs, with a device activated on a setup, holding a
// seat and having reported usage, so that fuzzed bodies reach past the first checks.
type deviceFuzz struct {
	a       *testApp
	key     string
	watch   *writeWatch
	tried   int
	refused int
}

func newDeviceFuzz(f *testing.F) *deviceFuzz {
	w := newLicenseWorld(f, func(c *Config) { c.DeviceRate = 0 }) // the fake clock never refills a limit
	_, key := w.newLicense(map[string]any{"start_date": "2026-09-01", "max_devices": 20, "max_aps": 5000})
	fz := &deviceFuzz{a: w.a, key: key}
	for _, call := range []struct{ path, body string }{
		{"/api/v1/activate", `{"fingerprint":"gw-01","setup":"prod-paris","name":"Gateway","elements":{"aps":10,"rooms":4}}`},
		{"/api/v1/features/check", `{"fingerprint":"gw-01","feature":"voice"}`},
		{"/api/v1/usage", `{"setup":"prod-paris","samples":[{"time":"2026-11-02T08:00:00Z","service":"api","metrics":{"cores":1.5}}]}`},
	} {
		if status, raw := fz.post(f, call.path, []byte(call.body)); status != http.StatusOK {
			f.Fatalf("%s: %d %s", call.path, status, raw)
		}
	}
	fz.watch = watchWrites(f, w.a)
	f.Cleanup(func() {
		if testing.Verbose() && fz.tried > 0 { // with -fuzz, workers count in processes of their own
			f.Logf("%d inputs tried, %d refused, no 5xx", fz.tried, fz.refused)
		}
	})
	return fz
}

func (fz *deviceFuzz) post(t testing.TB, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, fz.a.url+path, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "License "+fz.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// check sends one body and holds the answer to the promises.
func (fz *deviceFuzz) check(t *testing.T, path string, body []byte) {
	t.Helper()
	before := fz.watch.version(t)
	status, raw := fz.post(t, path, body)
	fz.tried++
	switch {
	case status >= 500:
		t.Fatalf("%s answered %d to %q:\n%s", path, status, body, raw)
	case status >= 400:
		fz.refused++
		var out struct{ Error Error }
		if err := json.Unmarshal(raw, &out); err != nil || out.Error.Message == "" || out.Error.Code == "" {
			t.Fatalf("%s refused %q with %d without a JSON error: %s", path, body, status, raw)
		}
		if fz.watch.version(t) != before {
			t.Fatalf("%s refused %q with %d (%s) but wrote to the database", path, body, status, raw)
		}
	default:
		fz.a.waitOutboxIdle(t)
	}
}

// FuzzDeviceAPI: activate, validate, deactivate, features/check and features/release, the
// endpoint chosen by the first argument.
func FuzzDeviceAPI(f *testing.F) {
	fz := newDeviceFuzz(f)
	seeds := map[string][]string{
		"/api/v1/activate": {
			`{"fingerprint":"gw-02","setup":"prod-berlin","name":"Second","elements":{"aps":1000000,"rooms":1000000}}`,
			`{"fingerprint":"gw-03","setup":"prod-berlin","elements":{"aps":9223372036854775807}}`,
			`{"fingerprint":"gw-04","elements":{"aps":1}}`,
			`{"fingerprint":"gw-05","setup":"bad setup!","elements":{"aps":-1,"rooms":1e30}}`,
			`{"fingerprint":"` + strings.Repeat("f", 256) + `"}`,
			`{"fingerprint":"\u0000"}`,
			`{"fingerprint":7}`,
			`{"fingerprint":"gw-06","name":"` + strings.Repeat("n", 201) + `"}`,
		},
		"/api/v1/validate": {
			`{"fingerprint":"gw-01"}`,
			`{"fingerprint":"gw-01","setup":"prod-paris","elements":{"aps":4999,"rooms":0}}`,
			`{"fingerprint":"gw-01","setup":"prod-paris","elements":{"aps":5001}}`,
			`{}`, ``, `null`, `[]`, `{"elements":null}`,
			`{"setup":"s","elements":{"aps":1.5}}`,
		},
		"/api/v1/deactivate": {
			`{"fingerprint":"gw-unknown"}`, `{"fingerprint":""}`, `{"fingerprint":["gw-01"]}`, `{`,
		},
		"/api/v1/features/check": {
			`{"fingerprint":"gw-01","feature":"voice"}`,
			`{"fingerprint":"gw-01","feature":"core"}`,
			`{"fingerprint":"gw-01","feature":"fax"}`,
			`{"fingerprint":"gw-01","feature":5}`,
			`{"fingerprint":"gw-01"}`,
			`{"fingerprint":"nobody","feature":"voice"}`,
		},
		"/api/v1/features/release": {
			`{"fingerprint":"gw-01","feature":"voice"}`,
			`{"fingerprint":"gw-01","feature":"video"}`,
			`{"fingerprint":"gw-01","feature":""}`,
		},
	}
	for i, path := range deviceEndpoints {
		for _, body := range seeds[path] {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, body []byte) {
		fz.check(t, deviceEndpoints[int(endpoint)%5], body)
	})
}

// FuzzUsageReport: the usage reports of setups (POST /api/v1/usage).
func FuzzUsageReport(f *testing.F) {
	fz := newDeviceFuzz(f)
	sample := func(time, service, metrics string) string {
		return fmt.Sprintf(`{"time":%q,"service":%q,"metrics":%s}`, time, service, metrics)
	}
	report := func(setup string, samples ...string) string {
		return fmt.Sprintf(`{"setup":%q,"samples":[%s]}`, setup, strings.Join(samples, ","))
	}
	for _, seed := range []string{
		report("prod-paris", sample("2026-11-02T08:00:20Z", "api", `{"cores":1.25,"memory_mb":512}`),
			sample("2026-11-02T08:00:40Z", "db", `{"cores":0.5}`)),
		report("prod-paris", sample("2026-09-05T10:00:00Z", "worker", `{"cores":1000000}`)),
		report("prod-paris", sample("2026-09-05T10:00:00Z", "api", `{"cores":1000000.000001}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{"cores":9e12}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{"cores":1e8}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{"temp":-1e12,"offset":1e12}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{"temp":-1000000000000.5}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{"cores":-0.0000004}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{"cores":1,"cores":2}`)),
		report("prod-paris", sample("2026-10-01T00:00:00Z", "api", `{}`)),
		report("prod-paris", sample("2026-11-02T09:05:01Z", "api", `{"cores":1}`)),
		report("prod-paris", sample("2026-08-31T23:59:59Z", "api", `{"cores":1}`)),
		report("prod paris", sample("2026-10-01T00:00:00Z", "api", `{"cores":1}`)),
		report("prod-paris"),
		`{"setup":"prod-paris","samples":[{"time":"2026-10-01T00:00:00Z","service":"api","metrics":{"cores":1},"host":"x"}]}`,
		`{"setup":"prod-paris","samples":{}}`,
		`{"setup":"prod-paris"}`,
		`{"samples":[]}`,
		``, `null`, `{`, `[1]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fz.check(t, "/api/v1/usage", body)
	})
}
