package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"
)

func TestActivationPDF(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(map[string]any{"features": []any{"core", map[string]any{"code": "video", "max_simultaneous_users": 4}}, "max_aps": 40})
	b := w.a.browser()
	b.signIn(w.clientOwner, adminPassword)
	resp := b.get(fmt.Sprintf("/licenses/%d/activation.pdf", id))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("PDF: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	r, err := pdf.NewReader(bytes.NewReader([]byte(b.body)), int64(len(b.body)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := r.GetPlainText()
	if err != nil {
		t.Fatal(err)
	}
	text, _ := io.ReadAll(plain)
	for _, want := range []string{key, "Contoso Hotels", "Octopus", "Core (core)", "Video (video)", "4 simultaneous users", "LOC-1", "APs: 40"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("the PDF does not show %q:\n%s", want, text)
		}
	}
	es, err := w.a.db.AuditEntries(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		found = found || (e.Action == "license.key_revealed" && e.ActorEmail == w.clientOwner && e.Details == "activation PDF")
	}
	if !found {
		t.Error("downloading the PDF was not audited")
	}
}

func TestLicenseKeyVisibility(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(nil)
	path := fmt.Sprintf("/licenses/%d", id)

	member := w.a.browser()
	member.signIn(w.clientMember, adminPassword)
	member.get(path)
	member.assertContains("KW-•••••-•••••-•••••-•••••-"+key[len(key)-5:], "Contoso Hotels")
	if strings.Contains(member.body, key) || strings.Contains(member.body, "Reveal key") || strings.Contains(member.body, "Regenerate") {
		t.Error("a client member sees the key or its actions")
	}
	// No empty key card: the member reads the masked key and who sees it in full.
	if strings.Contains(member.body, "key-card") || !strings.Contains(member.body, "owners see the full key") {
		t.Error("a client member gets a key card without actions, or no word of who sees the key")
	}
	if resp := member.post(path+"/reveal", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a client member reveals the key: %d, want 403", resp.StatusCode)
	}
	if resp := member.get(path + "/activation.pdf"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a client member downloads the PDF: %d, want 403", resp.StatusCode)
	}
	if status, _ := w.api(w.clientMemberTok, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/key", id), nil); status != http.StatusForbidden {
		t.Errorf("a client member reveals the key by API: %d", status)
	}

	owner := w.a.browser()
	owner.signIn(w.clientOwner, adminPassword)
	owner.get(path)
	owner.post(path+"/reveal", url.Values{})
	owner.assertContains(key)

	other := w.a.browser()
	other.signIn(w.otherOwner, adminPassword)
	for _, p := range []string{path, path + "?tab=history", path + "/activation.pdf"} {
		if resp := other.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("a foreign client gets %s: %d, want 404", p, resp.StatusCode)
		}
	}
	for _, p := range []string{"", "/key"} {
		if status, _ := w.api(w.otherTok, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d%s", id, p), nil); status != http.StatusNotFound {
			t.Errorf("a foreign client gets the license%s by API: %d, want 404", p, status)
		}
	}
	if status, _ := w.api(w.otherTok, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", id), map[string]any{"max_aps": 1}); status != http.StatusNotFound {
		t.Errorf("a foreign client patches the license: %d, want 404", status)
	}
	_, list := w.api(w.otherTok, http.MethodGet, "/api/v1/licenses", nil)
	if n := len(list["licenses"].([]any)); n != 0 {
		t.Errorf("a foreign client lists %d licenses", n)
	}
}

func TestEditLicenseRecordsUpgradesAndNextDayTerms(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(map[string]any{"start_date": "2026-01-01"})
	w.mustAPI(w.distToken, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", id), http.StatusOK,
		map[string]any{"max_aps": 50, "prepaid_core_price": "120.00", "features": []any{"core", "voice", "video"}})
	if status, out := w.api(w.distToken, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", id), map[string]any{"term_years": 7}); status != http.StatusBadRequest {
		t.Errorf("term 7: %d %v", status, out)
	}
	ctx := context.Background()
	terms, err := w.a.db.LicenseTerms(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(terms) != 2 || terms[1].EffectiveFrom != "2026-11-03" || terms[1].PrepaidCorePrice != 12000 || terms[0].PrepaidCorePrice != 10000 {
		t.Errorf("terms %+v, want 100.00 then 120.00 from 2026-11-03", terms)
	}
	evs, _ := w.a.db.LicenseEvents(ctx, id)
	if evs[0].Kind != "upgrade" || !strings.Contains(evs[0].Details, "max APs none → 50") || !strings.Contains(evs[0].Details, "core,voice → core,voice,video") ||
		!strings.Contains(evs[0].Details, "100.00 EUR → 120.00 EUR") {
		t.Errorf("history %+v", evs[0])
	}
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get(fmt.Sprintf("/licenses/%d/edit", id))
	form := url.Values{"product": {"octo"}, "features": {"core"}, "prepaid_cores": {"5"}, "currency": {"EUR"},
		"prepaid_core_price": {"120.00"}, "extra_core_price": {"150.005"}, "escalation_factor": {"0.33"}, "term_years": {"1"},
		"payment_period": {"annual"}, "invoicing_period": {"monthly"}, "start_date": {"2026-01-01"}, "start_threshold": {"5"}}
	resp := b.post(fmt.Sprintf("/licenses/%d/edit", id), form)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad price in the form: %d", resp.StatusCode)
	}
	b.assertContains("EUR has 2 decimals", `value="150.005"`)
	form.Set("extra_core_price", "150.00")
	if resp := b.post(fmt.Sprintf("/licenses/%d/edit", id), form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit form: %d\n%s", resp.StatusCode, b.body)
	}
	b.get(fmt.Sprintf("/licenses/%d?tab=history", id))
	b.assertContains("Features or limits changed", "core,voice,video → core", w.distOwner)
}

func TestLicenseListFiltersSortsAndCSV(t *testing.T) {
	w := newLicenseWorld(t) // today 2026-11-02
	seed := []map[string]any{
		{"location": "HOTEL-A", "start_date": "2025-11-20", "features": []any{"core"}, "max_aps": 10},          // ends 2026-11-20
		{"location": "HOTEL-B", "start_date": "2025-12-25", "features": []any{"core", "video"}, "max_aps": 20}, // ends 2026-12-25
		{"location": "CLINIC-C", "start_date": "2026-01-15", "features": []any{"voice"}},                       // ends 2027-01-15
		{"location": "SPARE-D", "organization_id": nil, "distributor_id": w.dist.ID},                           // pending provision
	}
	ids := make([]int64, len(seed))
	for i, f := range seed {
		ids[i], _ = w.newLicense(f)
	}
	// A license of another distributor's client, which the distributor must not see.
	w.mustAPI(w.admin, http.MethodPost, "/api/v1/licenses", http.StatusCreated, map[string]any{"organization_id": w.otherClient.ID,
		"product": "octo", "currency": "EUR", "term_years": 1, "payment_period": "annual", "location": "HOTEL-X"})
	locations := func(token, query string) string {
		t.Helper()
		out := w.mustAPI(token, http.MethodGet, "/api/v1/licenses?"+query, http.StatusOK, nil)
		var ls []string
		for _, l := range out["licenses"].([]any) {
			ls = append(ls, l.(map[string]any)["location"].(string))
		}
		return strings.Join(ls, ",")
	}
	tests := []struct{ name, query, want string }{
		{"all", "", "HOTEL-A,HOTEL-B,CLINIC-C,SPARE-D"},
		{"status", "status=pending_provision", "SPARE-D"},
		{"ending within 30 days", "ending_within=30", "HOTEL-A"},
		{"ending within 60 days", "ending_within=60", "HOTEL-A,HOTEL-B"},
		{"end range", "end_from=2026-12-01&end_to=2027-12-31", "HOTEL-B,CLINIC-C"},
		{"organization", fmt.Sprintf("organization=%d", w.client.ID), "HOTEL-A,HOTEL-B,CLINIC-C"},
		{"feature", "feature=video", "HOTEL-B"},
		{"text", "q=hotel-", "HOTEL-A,HOTEL-B"},
		{"text in the organization", "q=contoso&per_page=1", "HOTEL-A"},
		{"sort by end, descending", "sort=end&dir=desc", "CLINIC-C,HOTEL-B,HOTEL-A,SPARE-D"},
		{"sort by APs", "sort=aps", "HOTEL-A,HOTEL-B,CLINIC-C,SPARE-D"},
		{"sort by modules descending", "sort=modules&dir=desc", "SPARE-D,HOTEL-B,CLINIC-C,HOTEL-A"},
		{"sort by status", "sort=status&dir=desc", "SPARE-D,CLINIC-C,HOTEL-B,HOTEL-A"},
		{"page 2", "per_page=3&page=2", "SPARE-D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := locations(w.distToken, tt.query); got != tt.want {
				t.Errorf("%s: %s, want %s", tt.query, got, tt.want)
			}
		})
	}
	if got, want := locations(w.clientMemberTok, ""), "HOTEL-A,HOTEL-B,CLINIC-C"; got != want {
		t.Errorf("the client sees %s, want %s", got, want)
	}
	if got := locations(w.admin, "q=HOTEL-X"); got != "HOTEL-X" {
		t.Errorf("staff see %q", got)
	}
	if status, _ := w.api(w.distToken, http.MethodGet, "/api/v1/licenses?sort=price", nil); status != http.StatusBadRequest {
		t.Errorf("unknown sort: %d", status)
	}

	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get("/licenses?ending_within=60&sort=end&dir=desc")
	b.assertContains("HOTEL-A", "HOTEL-B", "Export CSV")
	if strings.Contains(b.body, "CLINIC-C") {
		t.Error("the filtered page shows CLINIC-C")
	}
	resp := b.get("/licenses.csv?ending_within=60&sort=end&dir=desc")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("CSV content type %q", resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(b.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][12] != "HOTEL-B" || rows[2][12] != "HOTEL-A" || rows[2][2] != "Contoso Hotels" ||
		rows[2][4] != "core" || rows[2][6] != "10" || rows[2][10] != "2025-11-20" || rows[2][11] != "2026-11-20" || rows[2][9] != "in_use" {
		t.Errorf("CSV:\n%s", b.body)
	}
	if !strings.HasPrefix(rows[1][1], "…") || len(rows[1][1]) > 10 {
		t.Errorf("CSV key %q, want masked", rows[1][1])
	}
	_ = ids
}

func TestPortalLicenseJourney(t *testing.T) {
	w := newLicenseWorld(t)
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get("/licenses/new")
	b.assertContains("Contoso Hotels", "Voice")
	form := url.Values{"organization_id": {fmt.Sprint(w.client.ID)}, "product": {"octo"}, "features": {"core", "voice"},
		"max_users.voice": {"2"}, "prepaid_cores": {"3"}, "currency": {"EUR"}, "prepaid_core_price": {"100.00"},
		"extra_core_price": {"150.00"}, "escalation_factor": {"0.33"}, "term_years": {"6"}, "payment_period": {"annual"},
		"invoicing_period": {"monthly"}, "start_threshold": {"5"}, "location": {"PORTAL-1"}}
	if resp := b.post("/licenses", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("term 6: %d", resp.StatusCode)
	}
	b.assertContains("The term is 1 to 5 years.", `value="PORTAL-1"`)
	form.Set("term_years", "2")
	resp := b.post("/licenses", form)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d\n%s", resp.StatusCode, b.body)
	}
	// The answer is the new license's page, with its key shown this once.
	b.assertContains("The license was created. Here is its key")
	m := regexp.MustCompile(`<h1>License (\d+) `).FindStringSubmatch(b.body)
	if m == nil || !regexp.MustCompile(`id="license-key">KW(-[0-9A-Z]{5}){5}<`).MatchString(b.body) {
		t.Fatalf("the created license's page:\n%s", b.body)
	}
	path := "/licenses/" + m[1]
	b.get(path + "?tab=modules")
	b.assertContains("Voice", "<strong>0 / 2</strong> seats")
	b.get(path)
	b.assertContains("PORTAL-1", "Pending start")
	b.get(path)
	b.post(path+"/status", url.Values{"action": {"start"}})
	b.get(path)
	b.assertContains("In use", "2 Nov 2026", "2 Nov 2028")
	resp = b.post(path+"/status", url.Values{"action": {"reinstate"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("reinstate an in-use license: %d", resp.StatusCode)
	}
	b.assertContains("A license that is in use cannot be reinstated")
	b.get(path)
	resp = b.post(path+"/regenerate-key", url.Values{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("regenerate: %d", resp.StatusCode)
	}
	key := regexpFind(t, b.body, `id="license-key">(KW-[0-9A-Z-]{29})<`)
	if _, out := w.device(key, "/api/v1/validate", nil); out["code"] != "VALID" {
		t.Errorf("the key shown after regeneration: %v", out)
	}
}

// TestDestructiveActionsSitInTheDangerZone: regenerating the key, denying access and terminating
// are in the General tab's danger zone, below the tabs, each asking for a confirmation; other
// tabs do not show them.
func TestDestructiveActionsSitInTheDangerZone(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(map[string]any{"start_date": "2026-10-01"})
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get(fmt.Sprintf("/licenses/%d", id))
	tabs, zone := strings.Index(b.body, `<nav class="tabs"`), strings.Index(b.body, `id="danger-heading"`)
	if tabs < 0 || zone < tabs {
		t.Fatalf("no danger zone below the tabs:\n%s", b.body)
	}
	for _, action := range []string{`action="/licenses/` + fmt.Sprint(id) + `/regenerate-key" data-confirm=`, `value="deny">`, `value="terminate">`} {
		if i := strings.Index(b.body, action); i < zone {
			t.Errorf("%s is not in the danger zone", action)
		}
	}
	if got := strings.Count(b.body, "data-confirm="); got < 3 {
		t.Errorf("%d confirmations, want one for each destructive action", got)
	}
	b.get(fmt.Sprintf("/licenses/%d?tab=history", id))
	if strings.Contains(b.body, "regenerate-key") || strings.Contains(b.body, "Danger zone") {
		t.Error("the history tab shows the destructive actions")
	}
}
