package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"keyward/app/billing"
	"keyward/store"
)

// usageFixture is a client with a license started on 2026-09-01 (5 prepaid cores at 100.00,
// extra cores at 150.00, f = 0.33, EUR), created on 2026-11-02 so it takes its history.
type usageFixture struct {
	*testApp
	token     string // the staff owner's API token
	clientID  int64
	licenseID int64
	key       string
}

func newUsageFixture(t *testing.T) *usageFixture {
	t.Helper()
	f := &usageFixture{testApp: newTestApp(t)}
	ctx := context.Background()
	admin, err := f.db.FindUserByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	if f.token, err = NewAPIToken(ctx, f.db, admin.ID, "test"); err != nil {
		t.Fatal(err)
	}
	vendor, _ := f.db.FindVendor(ctx)
	dist := store.Org{Kind: store.KindDistributor, ParentID: vendor.ID, Name: "Northwind"}
	if err := f.db.CreateOrg(ctx, &dist); err != nil {
		t.Fatal(err)
	}
	client := store.Org{Kind: store.KindClient, ParentID: dist.ID, Name: "Contoso"}
	if err := f.db.CreateOrg(ctx, &client); err != nil {
		t.Fatal(err)
	}
	f.api(t, http.MethodPost, "/api/v1/products", map[string]any{"code": "suite", "name": "Suite",
		"features": []map[string]any{{"code": "core", "name": "Core"}}}, http.StatusCreated, nil)
	f.clientID = client.ID
	f.licenseID, f.key = f.newLicense(t, nil)
	return f
}

// newLicense creates a license of the suite for the client, with the fixture's terms unless
// changes says otherwise, and returns its id and key.
func (f *usageFixture) newLicense(t *testing.T, changes map[string]any) (int64, string) {
	t.Helper()
	body := map[string]any{"organization_id": f.clientID, "product": "suite",
		"features": []string{"core"}, "prepaid_cores": 5, "prepaid_core_price": "100.00", "extra_core_price": "150.00",
		"escalation_factor": "0.33", "currency": "EUR", "term_years": 1, "payment_period": "monthly", "start_date": "2026-09-01"}
	maps.Copy(body, changes)
	var lic struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	f.api(t, http.MethodPost, "/api/v1/licenses", body, http.StatusCreated, &lic)
	return lic.ID, lic.Key
}

// api calls the management API with the staff token and decodes the answer into out.
func (f *usageFixture) api(t *testing.T, method, path string, body any, status int, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.url+path, r)
	req.Header.Set("Authorization", "Bearer "+f.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// report sends a usage report as a setup does; it returns the status and the decoded answer.
func (f *usageFixture) report(t *testing.T, key string, body []byte, gzipped bool) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.url+"/api/v1/usage", bytes.NewReader(body))
	req.Header.Set("Authorization", "License "+key)
	req.Header.Set("Content-Type", "application/json")
	if gzipped {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %q is not JSON: %v", raw, err)
	}
	return resp.StatusCode, out
}

type testSample struct {
	Time    string             `json:"time"`
	Service string             `json:"service"`
	Metrics map[string]float64 `json:"metrics"`
}

func reportBody(setup string, samples []testSample) []byte {
	b, _ := json.Marshal(map[string]any{"setup": setup, "samples": samples})
	return b
}

// steadyMonth is a setup's samples every 20 minutes of a month of 2026 on two services, "api" at
// cores−0.5 and "db" at 0.5, plus excluded elasticsearch at 3 cores that never counts; on the
// 10th between 10:00 and 12:00 the setup runs at spike cores instead.
func steadyMonth(month time.Month, cores, spike float64) []testSample {
	var out []testSample
	start := time.Date(2026, month, 1, 0, 0, 0, 0, time.UTC)
	for t := start; t.Month() == month; t = t.Add(20 * time.Minute) {
		c := cores
		if t.Day() == 10 && t.Hour() >= 10 && t.Hour() < 12 {
			c = spike
		}
		ts := t.Format(time.RFC3339)
		out = append(out,
			testSample{ts, "api", map[string]float64{"cores": c - 0.5, "memory_mb": 2048}},
			testSample{ts, "db", map[string]float64{"cores": 0.5, "memory_mb": 4096}},
			testSample{ts, "ElasticSearch", map[string]float64{"cores": 3}})
	}
	return out
}

func (f *usageFixture) estimate(t *testing.T, month string) map[string]any {
	t.Helper()
	var est map[string]any
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/estimate?month=%s", f.licenseID, month), nil, http.StatusOK, &est)
	return est
}

// TestUsageWorkedExample sends DESIGN §5's first worked example through the API: one setup
// at 5 cores, one day at 7 cores for two hours, P = 5 → 500.00 + 11.65 = 511.65.
func TestUsageWorkedExample(t *testing.T) {
	f := newUsageFixture(t)
	samples := steadyMonth(time.September, 5, 7)
	status, out := f.report(t, f.key, reportBody("prod-paris", samples), false)
	if status != http.StatusOK || out["accepted"] != float64(len(samples)) || out["duplicates"] != 0.0 {
		t.Fatalf("report: %d %v, want 200 with all %d samples accepted", status, out, len(samples))
	}
	est := f.estimate(t, "2026-09")
	for field, want := range map[string]any{"month": "2026-09", "currency": "EUR", "prepaid_cores": 5.0,
		"prepaid_cost": "500.00", "extra_cost": "11.65", "total": "511.65", "complete": true, "projected_total": "511.65"} {
		if got := est[field]; got != want {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	days := est["days"].([]any)
	if len(days) != 30 {
		t.Fatalf("%d days, want 30", len(days))
	}
	tenth := days[9].(map[string]any)
	setup := tenth["setups"].([]any)[0].(map[string]any)
	if tenth["extra_cores"] != 2.0 || tenth["extra_cost"] != "11.65" || setup["setup"] != "prod-paris" ||
		setup["billed_cores"] != 7.0 || setup["prepaid"] != 5.0 || setup["extra"] != 2.0 {
		t.Errorf("2026-09-10: %v, want 7 billed cores, 5 prepaid, 2 extra costing 11.65", tenth)
	}
}

// TestUsageEstimateMatchesTheCostEngine sends two setups' data of October (within the raw
// retention, so hours stay open to later chunks) in random order and chunks, some of it twice,
// gzipped or not, and checks the estimate against the cost engine run on the raw samples, then
// that pruning the raw samples changes nothing.
func TestUsageEstimateMatchesTheCostEngine(t *testing.T) {
	f := newUsageFixture(t)
	type sent struct {
		setup string
		s     testSample
	}
	var all []sent
	for _, s := range steadyMonth(time.October, 4.2, 6.6) {
		all = append(all, sent{"a", s})
	}
	for i, s := range steadyMonth(time.October, 2.4, 2.4) {
		if i%7 != 0 { // a service missing now and then
			all = append(all, sent{"b", s})
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for start := 0; start < len(all); {
		n := min(len(all)-start, 500+rng.IntN(1500))
		bySetup := map[string][]testSample{}
		for _, x := range all[start : start+n] {
			bySetup[x.setup] = append(bySetup[x.setup], x.s)
		}
		for setup, samples := range bySetup {
			body := reportBody(setup, samples)
			gz := rng.IntN(2) == 0
			if gz {
				var buf bytes.Buffer
				w := gzip.NewWriter(&buf)
				w.Write(body)
				w.Close()
				body = buf.Bytes()
			}
			if status, out := f.report(t, f.key, body, gz); status != http.StatusOK {
				t.Fatalf("report: %d %v", status, out)
			}
		}
		start += n
	}
	// Half of it again: all duplicates, nothing changes.
	again := map[string][]testSample{}
	for _, x := range all[:len(all)/2] {
		again[x.setup] = append(again[x.setup], x.s)
	}
	for setup, samples := range again {
		status, out := f.report(t, f.key, reportBody(setup, samples), false)
		if status != http.StatusOK || out["accepted"] != 0.0 || out["duplicates"] != float64(len(samples)) {
			t.Errorf("resent %d samples of %s: %d %v, want all duplicates", len(samples), setup, status, out)
		}
	}

	// The cost engine on the raw samples, as a reference.
	var setups []billing.SetupUsage
	for i, name := range []string{"a", "b"} {
		var raw []billing.Sample
		var first time.Time
		for _, x := range all {
			if x.setup != name {
				continue
			}
			ts, _ := time.Parse(time.RFC3339, x.s.Time)
			if first.IsZero() || ts.Before(first) {
				first = ts
			}
			micro := int64(x.s.Metrics["cores"]*1e6 + 0.5)
			raw = append(raw, billing.Sample{Time: ts, Service: x.s.Service, Micro: micro})
		}
		setups = append(setups, billing.SetupUsage{ID: int64(i + 1), Name: name, FirstSample: first,
			Days: billing.DailyCores(billing.RollupSamples(raw), []string{"elasticsearch", "kibana"})})
	}
	price := func(s string) billing.Money { m, _ := billing.ParseMoney(s, "EUR"); return m }
	factor, _ := billing.ParseFactor("0.33")
	contract := billing.Contract{Currency: "EUR", Start: billing.NewDate(2026, 9, 1), End: billing.NewDate(2027, 9, 1),
		Terms: []billing.Terms{{PrepaidCores: 5, PrepaidPrice: price("100.00"), ExtraPrice: price("150.00"), Escalation: factor}}}
	want, err := billing.EstimateMonth(contract, setups, billing.Month{Year: 2026, Month: time.October}, billing.NewDate(2026, 11, 2))
	if err != nil {
		t.Fatal(err)
	}
	got := f.estimate(t, "2026-10")
	for i, d := range got["days"].([]any) {
		if w := want.Days[i]; fmt.Sprint(d.(map[string]any)["extra_cores"]) != fmt.Sprint(w.ExtraCores) {
			t.Errorf("%s: API %v, engine %+v", w.Date, d, w)
		}
	}
	if got["total"] != want.Total.String() || got["extra_cost"] != want.ExtraCost.String() {
		t.Errorf("API estimate %v / %v, cost engine on the raw samples %s / %s", got["total"], got["extra_cost"], want.Total, want.ExtraCost)
	}
	if want.ExtraCost.Sign() == 0 {
		t.Fatal("the scenario has no extra cost: it tests nothing")
	}

	// Pruning the raw samples (the retention job, 46 days on) changes no estimate.
	f.clock.Advance(46 * 24 * time.Hour)
	if err := f.srv.pruneRawUsage(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := f.estimate(t, "2026-10")
	if fmt.Sprint(after) != fmt.Sprint(got) {
		t.Errorf("pruning changed the estimate:\n%v\n%v", got, after)
	}
	status, out := f.report(t, f.key, reportBody("a", steadyMonth(time.October, 9, 9)[:300]), false)
	if status != http.StatusOK || out["accepted"] != 0.0 {
		t.Errorf("a report sent again after pruning: %d %v, want only duplicates", status, out)
	}
}

func TestUsageIngestionRefusals(t *testing.T) {
	f := newUsageFixture(t)
	good := testSample{"2026-10-01T00:00:20Z", "api", map[string]float64{"cores": 1.25}}
	many := make([]testSample, 100_001)
	for i := range many {
		many[i] = testSample{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339), "api", map[string]float64{"cores": 1}}
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write([]byte(`{"setup":"s","samples":[`))
	zw.Write(bytes.Repeat([]byte(" "), 33<<20))
	zw.Close()

	for _, tc := range []struct {
		name   string
		key    string
		body   []byte
		gzip   bool
		status int
		code   string
		field  string
	}{
		{"missing setup", f.key, []byte(`{"samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":1}}]}`), false, 400, "INVALID_INPUT", "setup"},
		{"bad time", f.key, reportBody("s", []testSample{good, {"01/10/2026", "api", map[string]float64{"cores": 1}}}), false, 400, "INVALID_INPUT", "samples[1].time"},
		{"before the license", f.key, reportBody("s", []testSample{{"2026-08-31T23:00:00Z", "api", map[string]float64{"cores": 1}}}), false, 400, "INVALID_INPUT", "samples[0].time"},
		{"in the future", f.key, reportBody("s", []testSample{{"2026-11-02T09:06:00Z", "api", map[string]float64{"cores": 1}}}), false, 400, "INVALID_INPUT", "samples[0].time"},
		{"negative value", f.key, reportBody("s", []testSample{good, good, {"2026-10-01T00:00:40Z", "db", map[string]float64{"cores": -1}}}), false, 400, "INVALID_INPUT", "samples[2].metrics.cores"},
		{"text value", f.key, []byte(`{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":{"cores":"1.5"}}]}`), false, 400, "INVALID_INPUT", "samples[0].metrics.cores"},
		{"metrics as a list", f.key, []byte(`{"setup":"s","samples":[{"time":"2026-10-01T00:00:20Z","service":"api","metrics":[1]}]}`), false, 400, "INVALID_INPUT", "samples[0].metrics"},
		{"too many samples", f.key, reportBody("s", many), false, 413, "TOO_LARGE", "samples"},
		{"too large once unzipped", f.key, bomb.Bytes(), true, 413, "TOO_LARGE", ""},
		{"bad gzip", f.key, []byte("not gzip at all"), true, 400, "INVALID_INPUT", "body"},
		{"wrong key", "KW-00000-00000-00000-00000-00000", reportBody("s", []testSample{good}), false, 401, "", ""},
		{"malformed key", "hello", reportBody("s", []testSample{good}), false, 401, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := f.report(t, tc.key, tc.body, tc.gzip)
			e, _ := out["error"].(map[string]any)
			if status != tc.status || e == nil || e["message"] == "" {
				t.Fatalf("status %d %v, want %d with an error message", status, out, tc.status)
			}
			if tc.code != "" && e["code"] != tc.code {
				t.Errorf("code %v, want %s", e["code"], tc.code)
			}
			if tc.field != "" && e["field"] != tc.field {
				t.Errorf("field %v, want %s", e["field"], tc.field)
			}
		})
	}
	// Nothing of any refused report was stored: the good sample in several of them is still new.
	status, out := f.report(t, f.key, reportBody("s", []testSample{good}), false)
	if status != http.StatusOK || out["accepted"] != 1.0 {
		t.Errorf("after the refusals: %d %v, want the good sample accepted as new", status, out)
	}
	var u usageReport
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/usage?from=2026-10-01&to=2026-10-31", f.licenseID), nil, http.StatusOK, &u)
	if len(u.Series) != 1 || u.Series[0].Setup != "s" {
		t.Errorf("usage after the refusals: %+v, want only the one good sample of setup s", u.Series)
	}
}

func TestUsageRefusedWhilePendingProvision(t *testing.T) {
	f := newUsageFixture(t)
	var lic struct {
		Key string `json:"key"`
	}
	// A license for a distributor's stock, not provisioned to a client yet.
	distributor, err := f.db.FindOrg(context.Background(), 2)
	if err != nil || distributor.Kind != store.KindDistributor {
		t.Fatalf("fixture: org 2 is %+v, %v", distributor, err)
	}
	f.api(t, http.MethodPost, "/api/v1/licenses", map[string]any{"distributor_id": distributor.ID, "product": "suite",
		"features": []string{"core"}, "prepaid_cores": 1, "prepaid_core_price": "1.00", "extra_core_price": "1.00",
		"currency": "EUR", "term_years": 1, "payment_period": "annual"}, http.StatusCreated, &lic)
	status, out := f.report(t, lic.Key, reportBody("s", []testSample{{"2026-11-02T08:00:00Z", "api", map[string]float64{"cores": 1}}}), false)
	if e, _ := out["error"].(map[string]any); status != http.StatusForbidden || e["code"] != "PENDING_PROVISION" {
		t.Errorf("usage for a license pending provision: %d %v, want 403 PENDING_PROVISION", status, out)
	}
}

func TestUsageQueryValidation(t *testing.T) {
	f := newUsageFixture(t)
	for _, tc := range []struct{ query, field string }{
		{"resolution=week", "resolution"},
		{"from=2026-13-01", "from"},
		{"from=2026-10-10&to=2026-10-01", "to"},
		{"from=2025-01-01&to=2026-10-01&resolution=hour", "to"},
		{"from=2026-10-01&to=2026-11-01&resolution=hour", "to"}, // 32 days
		{"from=2025-10-01&to=2026-11-05", "to"},                 // 401 days: 400 by day at most
	} {
		var out struct{ Error Error }
		f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/usage?%s", f.licenseID, tc.query), nil, http.StatusBadRequest, &out)
		if out.Error.Field != tc.field {
			t.Errorf("%s: field %q, want %q", tc.query, out.Error.Field, tc.field)
		}
	}
	var out struct{ Error Error }
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/estimate?month=october", f.licenseID), nil, http.StatusBadRequest, &out)
	if out.Error.Field != "month" {
		t.Errorf("estimate month=october: field %q, want month", out.Error.Field)
	}
	if !strings.Contains(out.Error.Message, "YYYY-MM") {
		t.Errorf("message %q does not say how to write the month", out.Error.Message)
	}
}

// TestUsageResolutionsAgree reads a month of two setups' usage by hour (31 days, the most by hour),
// by day and by month: the days and the month, read from the daily roll-ups, hold exactly what the
// hours add up to, and each setup's billable cores are the mean and the peak of its hours.
func TestUsageResolutionsAgree(t *testing.T) {
	f := newUsageFixture(t)
	for setup, samples := range map[string][]testSample{"a": steadyMonth(time.October, 4.2, 6.6), "b": steadyMonth(time.October, 2.4, 2.4)[5:]} {
		if status, out := f.report(t, f.key, reportBody(setup, samples), false); status != http.StatusOK {
			t.Fatalf("report: %d %v", status, out)
		}
	}
	read := func(resolution string) usageReport {
		var r usageReport
		f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/usage?from=2026-10-01&to=2026-10-31&resolution=%s", f.licenseID, resolution), nil, http.StatusOK, &r)
		return r
	}
	hours, days, months := read("hour"), read("day"), read("month")
	if len(hours.Series) != 10 || len(days.Series) != 10 || len(months.Series) != 10 { // 2 setups × (api, db: 2 metrics; ElasticSearch: 1)
		t.Fatalf("%d, %d and %d series by hour, day and month, want 10", len(hours.Series), len(days.Series), len(months.Series))
	}
	type acc struct {
		count      int64
		sum        float64
		lo, hi     float64
		coresHours int
		coresSum   float64
		coresPeak  float64
	}
	fold := func(label func(string) string) map[string]*acc {
		out := map[string]*acc{}
		get := func(k string) *acc {
			if out[k] == nil {
				out[k] = &acc{lo: 1e300, hi: -1e300}
			}
			return out[k]
		}
		for _, s := range hours.Series {
			for _, p := range s.Points {
				a := get(s.Setup + "/" + s.Service + "/" + s.Metric + "/" + label(p.Time))
				a.count += p.Count
				a.sum += p.Mean * float64(p.Count)
				a.lo, a.hi = min(a.lo, p.Min), max(a.hi, p.Max)
			}
		}
		for _, p := range hours.Cores {
			a := get(p.Setup + "/" + label(p.Time))
			a.coresHours++
			a.coresSum += p.Mean
			a.coresPeak = max(a.coresPeak, p.Peak)
		}
		return out
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
	for _, tc := range []struct {
		r     usageReport
		label func(string) string
	}{{days, func(t string) string { return t[:10] }}, {months, func(t string) string { return t[:7] }}} {
		want := fold(tc.label)
		for _, s := range tc.r.Series {
			for _, p := range s.Points {
				w := want[s.Setup+"/"+s.Service+"/"+s.Metric+"/"+p.Time]
				if w == nil || w.count != p.Count || !near(w.sum/float64(w.count), p.Mean) || w.lo != p.Min || w.hi != p.Max {
					t.Errorf("%s %s %s %s: %+v, the hours say %+v", s.Setup, s.Service, s.Metric, p.Time, p, w)
				}
			}
		}
		for _, p := range tc.r.Cores {
			w := want[p.Setup+"/"+p.Time]
			if w == nil || !near(w.coresSum/float64(w.coresHours), p.Mean) || !near(w.coresPeak, p.Peak) {
				t.Errorf("cores of %s %s: %+v, the hours say %+v", p.Setup, p.Time, p, w)
			}
		}
		if len(tc.r.Cores) == 0 {
			t.Errorf("no cores by %s", tc.r.Resolution)
		}
	}
	if p := days.Cores[2*9]; p.Time != "2026-10-10" || p.Setup != "a" || !near(p.Peak, 6.6) {
		t.Errorf("setup a on 10 October: %+v, want its 6.6-core rush as the peak", p)
	}
}

// TestUsagePageCSVAndEmptyState looks at the usage page as the client's owner would: a friendly
// empty state before any report, then the CSV export of what the page shows.
func TestUsagePageCSVAndEmptyState(t *testing.T) {
	f := newUsageFixture(t)
	b := f.browser()
	b.signIn(adminEmail, adminPassword)
	page := fmt.Sprintf("/licenses/%d/usage?from=2026-10-01&to=2026-10-31", f.licenseID)
	if resp := b.get(page); resp.StatusCode != http.StatusOK {
		t.Fatalf("usage page: %d", resp.StatusCode)
	}
	b.assertContains("No usage was reported for this license from 1 Oct 2026 to 31 Oct 2026", "every 20 seconds with the license key")

	samples := []testSample{
		{"2026-10-01T00:00:20Z", "api", map[string]float64{"cores": 1.5, "memory_mb": 512}},
		{"2026-10-01T00:00:40Z", "api", map[string]float64{"cores": 2.5, "memory_mb": 1024}},
		{"2026-10-01T00:00:20Z", "kibana", map[string]float64{"cores": 3}},
	}
	if status, out := f.report(t, f.key, reportBody("prod-paris", samples), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	b.get(page)
	b.assertContains("Billable cores per setup", "<h2>Memory (MB)</h2>", "Export CSV")
	resp := b.get(fmt.Sprintf("/licenses/%d/usage.csv?from=2026-10-01&to=2026-10-31&resolution=day", f.licenseID))
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/csv") {
		t.Errorf("Content-Type %q, want text/csv", got)
	}
	for _, row := range []string{
		"time,setup,service,metric,mean,min,max,samples",
		"2026-10-01,prod-paris,(billable services),cores,2.000000,,2.000000,", // kibana is not billed
		"2026-10-01,prod-paris,api,cores,2.000000,1.500000,2.500000,2",
		"2026-10-01,prod-paris,api,memory_mb,768.000000,512.000000,1024.000000,2",
		"2026-10-01,prod-paris,kibana,cores,3.000000,3.000000,3.000000,1",
	} {
		if !strings.Contains(b.body, row+"\n") {
			t.Errorf("CSV lacks the row %q:\n%s", row, b.body)
		}
	}
}

// TestUsageJSONAsEncodingJSON: the usage answer, written point by point, reads back as
// encoding/json writes it, for numbers of every size and names JSON must escape.
func TestUsageJSONAsEncodingJSON(t *testing.T) {
	r := usageReport{LicenseID: 7, From: "2026-10-01", To: "2026-10-31", Resolution: "hour",
		Cores: []coresPoint{{"2026-10-01T00:00:00Z", "prod \"paris\"", 1.25, 3}, {"2026-10-01T01:00:00Z", "é\n<b>", 0, 1e-7}},
		Series: []usageSeries{{Setup: "a", Service: "api", Metric: "memory_mb", Points: []usagePoint{
			{"2026-10-01T00:00:00Z", 1e21, -1e22, 123456789.123456, 3}, {"2026-10-01T01:00:00Z", -0.000001, 5e-324, 1.7976931348623157e308, 0}}},
			{Setup: "b", Service: "db", Metric: "cores", Points: []usagePoint{}}}}
	var streamed bytes.Buffer
	if err := r.writeJSON(&streamed); err != nil {
		t.Fatal(err)
	}
	marshalled, _ := json.Marshal(r)
	var got, want any
	if err := json.Unmarshal(streamed.Bytes(), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, streamed.Bytes())
	}
	json.Unmarshal(marshalled, &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("streamed\n%s\nwant\n%s", streamed.Bytes(), marshalled)
	}
}
