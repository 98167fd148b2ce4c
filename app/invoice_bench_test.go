package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"keyward/store"
)

// benchLicenses is the size of the generation benchmark's data set.
const benchLicenses = 10_000

// BenchmarkInvoiceJob runs the daily job on 10,000 licenses, each with a month (October 2026) of
// usage on one setup: per license it prices October's usage through the estimate and November's
// prepaid cores, and writes the drafts (a third of the licenses have no extra cost: no usage
// draft). Each iteration gets a fresh data set, built with the timer stopped.
func BenchmarkInvoiceJob(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		b.StopTimer()
		ib := newInvoiceBench(b, time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC))
		seedInvoiceBench(b, ib, benchLicenses)
		ib.clock.Advance(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC).Sub(ib.clock.Now()))
		b.StartTimer()
		if err := ib.srv.generateInvoices(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_, n, err := ib.db.Invoices(ctx, store.InvoiceFilter{All: true})
		if err != nil {
			b.Fatal(err)
		}
		if want := benchLicenses + benchLicenses*2/3; n < want-1 || n > want+1 {
			b.Fatalf("%d drafts, want about %d", n, want)
		}
		b.ReportMetric(float64(n), "drafts")
	}
}

// seedInvoiceBench makes n licenses of the bench's client, created now (31 October 2026) and started
// on 1 October (monthly payment and invoicing, 2 prepaid cores), each with one setup whose daily
// peak in October is 2, 3 or 4 cores.
func seedInvoiceBench(b *testing.B, ib *invoiceBench, n int) {
	b.Helper()
	ctx := context.Background()
	p := store.Product{Code: "bench", Name: "Bench", StartThreshold: 1, Features: []store.Feature{{Code: "core", Name: "Core"}}}
	if err := ib.db.CreateProduct(ctx, &p, store.AuditEntry{Action: "product.created"}); err != nil {
		b.Fatal(err)
	}
	daily := dailyCores(nil)
	for i := range n {
		l := store.License{ProductID: p.ID, OrgID: ib.client.ID, DistributorID: ib.dist.ID, Status: store.StatusInUse, TermYears: 1,
			StartThreshold: 1, StartDate: "2026-10-01", EndDate: "2027-10-01", Location: fmt.Sprintf("SITE-%05d", i),
			Terms: store.Terms{PrepaidCores: 2, PrepaidCorePrice: 10000, ExtraCorePrice: 15000, EscalationFactor: "0.33",
				Currency: "EUR", InvoicingPeriod: "monthly", PaymentPeriod: "monthly"},
			Features: []store.LicenseFeature{{Feature: p.Features[0]}}}
		ib.srv.newLicenseKey(&l)
		if err := ib.db.CreateLicense(ctx, &l, store.Actor{}, "bench"); err != nil {
			b.Fatal(err)
		}
		cores := int64(2+i%3) * 1_000_000
		hours := make([]store.HourlyUsage, 0, 31)
		for day := 1; day <= 31; day++ {
			hours = append(hours, store.HourlyUsage{Hour: time.Date(2026, 10, day, 12, 0, 0, 0, time.UTC), Service: "api",
				Metric: store.CoresMetric, Count: 180, Sum: store.SumOf(180 * cores), Min: cores, Max: cores})
		}
		if err := ib.db.ImportHourlyUsage(ctx, l.ID, "main", hours, daily); err != nil {
			b.Fatal(err)
		}
	}
}
