package app

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// BenchmarkClientsDashboards builds a big distributor — 2,000 clients in 20 countries with 10,000
// licenses in every status (a tenth ending within 90 days) and a journal entry for each client —
// and times over real HTTP the distributor's home page, the clients list in its views and sorts,
// the API's list, and the home page of a client with five licenses (their month costs cached
// after the first view). Each reports its median (p50-ms) and 95th percentile (p95-ms).
func BenchmarkClientsDashboards(b *testing.B) {
	a := newTestApp(b)
	ctx := context.Background()
	dist := a.createOrg(store.KindDistributor, "Big Distribution", 0)
	dora := a.createUser("dora@big.test", "Dora", dist, store.RoleOwner)
	p := store.Product{Code: "suite", Name: "Suite", StartThreshold: 5, Features: []store.Feature{{Code: "core", Name: "Core"}}}
	if err := a.db.CreateProduct(ctx, &p, store.AuditEntry{Action: "product.created"}); err != nil {
		b.Fatal(err)
	}
	today := a.clock.Now().UTC()
	statuses := []string{store.StatusInUse, store.StatusInUse, store.StatusInUse, store.StatusPendingStart, store.StatusAccessDenied}
	var carla store.User
	for i := range 2000 {
		o := store.Org{Kind: store.KindClient, ParentID: dist.ID, Name: fmt.Sprintf("Client %04d", i),
			Country: fmt.Sprintf("C%c", 'A'+i%20), City: "Berlin"}
		if err := a.db.CreateOrg(ctx, &o); err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			carla = a.createUser("carla@big.test", "Carla", o, store.RoleOwner)
		}
		for j := range 5 {
			n := i*5 + j
			l := store.License{ProductID: p.ID, OrgID: o.ID, DistributorID: dist.ID, KeyHash: randomBytes(32), KeyEnc: randomBytes(48),
				KeySuffix: fmt.Sprintf("%05d", n), Status: statuses[n%len(statuses)], TermYears: 1, StartThreshold: 5,
				Location: fmt.Sprintf("LOC-%05d", n), Features: []store.LicenseFeature{{Feature: p.Features[0]}},
				Terms: store.Terms{PrepaidCores: 4, PrepaidCorePrice: 10000, ExtraCorePrice: 15000, EscalationFactor: "0.33",
					Currency: "EUR", InvoicingPeriod: "monthly", PaymentPeriod: "annual"}}
			if l.Status != store.StatusPendingStart {
				// End dates spread over the next 1,000 days: about a tenth end within 90 days.
				end := today.AddDate(0, 0, 1+n%1000)
				l.EndDate, l.StartDate = end.Format(time.DateOnly), end.AddDate(-1, 0, 0).Format(time.DateOnly)
			}
			if err := a.db.CreateLicense(ctx, &l, store.Actor{}, "bench"); err != nil {
				b.Fatal(err)
			}
		}
		e := store.JournalEntry{OrgID: o.ID, Currency: "EUR", Date: today.Format(time.DateOnly), Kind: store.JournalDebit,
			Description: "Opening balance", Debit: int64(i%97) * 1000}
		if err := a.db.AddJournalEntry(ctx, &e, store.AuditEntry{Action: "journal.debit", OrgID: o.ID}); err != nil {
			b.Fatal(err)
		}
	}
	session := func(u store.User) string {
		raw := randomToken()
		if err := a.db.CreateSession(ctx, &store.Session{IDHash: digest(raw), UserID: u.ID}); err != nil {
			b.Fatal(err)
		}
		return raw
	}
	doraSession, carlaSession := session(dora), session(carla)
	token, err := NewAPIToken(ctx, a.db, dora.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	get := func(path, cookie, want string) {
		req, _ := http.NewRequest(http.MethodGet, a.url+path, nil)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Authorization", "Bearer "+token)
		} else {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie})
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
			b.Fatalf("GET %s: %d, without %q\n%.2000s", path, resp.StatusCode, want, body)
		}
	}
	for _, tc := range []struct{ name, path, cookie, want string }{
		{"distributor home", "/", doraSession, "Ending within 30 days"},
		{"clients list", "/orgs?kind=client", doraSession, "Client 0000"},
		{"clients list by balance", "/orgs?kind=client&sort=-balance", doraSession, "Client 0096"},
		{"clients list by licenses, in use, page 40", "/orgs?kind=client&sort=-licenses&license_status=in_use&page=40", doraSession, "Client"},
		{"clients list filtered by country", "/orgs?kind=client&country=CA&overdue=false", doraSession, "Client 0000"},
		{"API list by balance", "/api/v1/organizations?kind=client&sort=-balance&per_page=50", "", "Client 0096"},
		{"client home, five licenses", "/", carlaSession, "so far"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			get(tc.path, tc.cookie, tc.want) // warm the caches as a second visit would
			reportLatency(b, func() { get(tc.path, tc.cookie, tc.want) })
		})
	}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// reportLatency runs f once per benchmark iteration and reports the median (p50-ms) and the 95th
// percentile (p95-ms) of its durations.
func reportLatency(b *testing.B, f func()) {
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		f()
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
}
