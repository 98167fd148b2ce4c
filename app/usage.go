package app

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/app/ingest"
	"keyward/store"
)

// maxUsageBody is the largest usage report, after decompression (DESIGN §6).
const maxUsageBody = 32 << 20

var errUsageTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: "TOO_LARGE",
	Message: fmt.Sprintf("A usage report holds at most %d MiB of JSON and %d samples: split it.", maxUsageBody>>20, ingest.MaxSamples)}

func (s *Server) routeUsage() {
	lic := s.licenseParam("id")
	s.route(fiber.MethodPost, "/api/v1/usage", guard{Action: ActionPublic}, s.apiReportUsage)
	s.route(fiber.MethodGet, "/api/v1/licenses/:id/usage", guard{Action: ActionView, Scope: lic}, s.apiLicenseUsage)
	s.route(fiber.MethodGet, "/api/v1/licenses/:id/estimate", guard{Action: ActionView, Scope: lic}, s.apiLicenseEstimate)
	s.route(fiber.MethodGet, "/licenses/:id/usage", guard{Action: ActionView, Scope: lic}, s.usagePage)
	s.route(fiber.MethodGet, "/licenses/:id/usage.csv", guard{Action: ActionView, Scope: lic}, s.usageCSV)
	s.route(fiber.MethodGet, "/licenses/:id/cost", guard{Action: ActionView, Scope: lic}, s.costPage)
}

// apiReportUsage stores a setup's usage report: all of it, or nothing with the field at fault.
// POST /api/v1/usage
func (s *Server) apiReportUsage(c *fiber.Ctx) error {
	st, err := s.deviceAuth(c)
	if err != nil {
		return err
	}
	l := st.lic
	if l.Status == store.StatusPendingProvision {
		return refusalError("PENDING_PROVISION")
	}
	body, err := usageBody(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	now := s.clock.Now()
	report, duplicates, err := ingest.Parse(body, ingest.WindowAt(now, usageStart(l)))
	var pe *ingest.Error
	if errors.As(err, &pe) && pe.TooLarge {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "TOO_LARGE", Field: pe.Field, Message: pe.Message}
	} else if errors.As(err, &pe) {
		return badInput(pe.Field, "%s", pe.Message)
	} else if err != nil {
		return err
	}
	if report.Nonce != "" { // read here when the body came gzipped, past deviceAnswers
		if !printable(report.Nonce, maxNonce) {
			return badInput("nonce", "A nonce is 1 to %d printable characters.", maxNonce)
		}
		c.Locals(nonceKey, report.Nonce)
	}
	product, err := s.db.FindProduct(ctx, l.ProductID)
	if err != nil {
		return err
	}
	samples := make([]store.UsageSample, len(report.Samples))
	for i, smp := range report.Samples {
		metrics := make([]store.UsageMetric, len(smp.Metrics))
		for j, m := range smp.Metrics {
			metrics[j] = store.UsageMetric{Name: m.Name, Micro: m.Micro}
		}
		samples[i] = store.UsageSample{Time: smp.Time, Service: smp.Service, Metrics: metrics}
	}
	accepted, stored, err := s.db.IngestUsage(ctx, store.UsageReport{LicenseID: l.ID, Setup: report.Setup, Samples: samples,
		ClosedBefore: now.Add(-s.cfg.RawRetention)}, dailyCores(product.ExcludedServices))
	if err != nil {
		return err
	}
	s.metrics.usageSamples(accepted, duplicates+stored)
	if accepted > 0 {
		if err := s.checkOverage(ctx, l.ID, overageDays(samples, billing.DateOf(now))); err != nil {
			// The report is stored: the hourly sweep alerts later. Nothing here is the device's fault.
			s.log.Error("unable to check overage", "license_id", l.ID, "error", err)
		}
	}
	return c.JSON(fiber.Map{"accepted": accepted, "duplicates": duplicates + stored})
}

// usageStart is the first moment a license takes usage for: its start date or its creation day,
// whichever is earlier, so a license created with a past start date can receive its history.
func usageStart(l store.License) time.Time {
	created := l.CreatedAt.UTC().Truncate(24 * time.Hour)
	if start, err := time.Parse(time.DateOnly, l.StartDate); err == nil && start.Before(created) {
		return start
	}
	return created
}

// usageBody is the request body, gunzipped through a bounded reader when it is compressed.
// (fiber's own c.Body() would gunzip without a bound.)
func usageBody(c *fiber.Ctx) ([]byte, error) {
	raw := c.Request().Body()
	switch enc := strings.ToLower(strings.TrimSpace(c.Get(fiber.HeaderContentEncoding))); enc {
	case "", "identity":
		if len(raw) > maxUsageBody {
			return nil, errUsageTooLarge
		}
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, badInput("body", "The body says Content-Encoding: gzip but is not gzip data.")
		}
		body, err := io.ReadAll(io.LimitReader(zr, maxUsageBody+1))
		if err != nil {
			return nil, badInput("body", "The gzip data is damaged: %s.", err)
		}
		if len(body) > maxUsageBody {
			return nil, errUsageTooLarge
		}
		return body, nil
	default:
		return nil, &Error{Status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTED_MEDIA_TYPE",
			Message: fmt.Sprintf("Content-Encoding %q is not supported: send plain JSON or gzip.", enc)}
	}
}

// usageQuery is the period and resolution asked for.
type usageQuery struct {
	From, To   billing.Date // inclusive
	Resolution string
}

// maxUsageDays bounds a period by resolution, so that an answer stays within a few hundred
// buckets a series and no request reads years of hourly rows by mistake (DESIGN §6: 31 days by hour).
var maxUsageDays = map[string]int{resolutionHour: 31, resolutionDay: 400, resolutionMonth: 5 * 366}

// parseUsageQuery reads ?from=&to=&resolution= of the usage API: this month so far, by day, unless told.
func (s *Server) parseUsageQuery(c *fiber.Ctx) (usageQuery, error) {
	today := billing.DateOf(s.clock.Now())
	q := usageQuery{From: billing.MonthOf(today).First(), To: today, Resolution: c.Query("resolution", resolutionDay)}
	if _, ok := maxUsageDays[q.Resolution]; !ok {
		return q, badInput("resolution", "Choose hour, day or month.")
	}
	if err := q.readPeriod(c); err != nil {
		return q, err
	}
	return q, q.checkLength()
}

// readPeriod reads from and to, where given, over the defaults.
func (q *usageQuery) readPeriod(c *fiber.Ctx) error {
	for _, field := range []string{"from", "to"} {
		d := map[string]*billing.Date{"from": &q.From, "to": &q.To}[field]
		if v := c.Query(field); v != "" {
			date, err := billing.ParseDate(v)
			if err != nil {
				return badInput(field, "Write the date as YYYY-MM-DD, such as 2026-10-01.")
			}
			*d = date
		}
	}
	if q.To.Before(q.From) {
		return badInput("to", "The end date comes before the start date.")
	}
	return nil
}

// checkLength refuses a period too long for its resolution, naming the end date that reaches too far.
func (q usageQuery) checkLength() error {
	limit := maxUsageDays[q.Resolution]
	if q.From.DaysUntil(q.To)+1 > limit {
		return badInput("to", "By %s, a period spans at most %d days: end it by %s, or choose a coarser resolution.",
			q.Resolution, limit, q.From.AddDays(limit-1))
	}
	return nil
}

// apiLicenseUsage lists a license's usage per setup, service and metric over a period.
// GET /api/v1/licenses/:id/usage
func (s *Server) apiLicenseUsage(c *fiber.Ctx) error {
	q, err := s.parseUsageQuery(c)
	if err != nil {
		return err
	}
	r, err := s.usageReport(c.UserContext(), guardedLicense(c), q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		if err := r.writeJSON(w); err != nil {
			s.log.Info("usage answer cut short", "license_id", r.LicenseID, "error", err)
		}
		if r.points() >= bigUsageAnswer {
			// What the answer used is garbage now; an idle server would hold it until its next
			// collection, minutes away. Give it back to the system at once.
			debug.FreeOSMemory()
		}
	})
	return nil
}

// bigUsageAnswer is how many points make a usage answer big: a month by hour of 10 setups ×
// 10 services × 2 metrics is 148,800 of them, about 14 MB of JSON.
const bigUsageAnswer = 50_000

// contractOf is a license as the cost engine sees it: its days and the versions of its terms.
func (s *Server) contractOf(ctx context.Context, l store.License) (billing.Contract, error) {
	currency, err := billing.ParseCurrency(l.Terms.Currency)
	if err != nil {
		return billing.Contract{}, err
	}
	contract := billing.Contract{Currency: currency}
	if l.StartDate != "" {
		if contract.Start, err = billing.ParseDate(l.StartDate); err != nil {
			return contract, err
		}
	}
	if l.EndDate != "" {
		if contract.End, err = billing.ParseDate(l.EndDate); err != nil {
			return contract, err
		}
	}
	versions, err := s.db.LicenseTerms(ctx, l.ID)
	if err != nil {
		return contract, err
	}
	for i, v := range versions {
		factor, err := billing.ParseFactor(v.EscalationFactor)
		if err != nil {
			return contract, err
		}
		t := billing.Terms{PrepaidCores: int64(v.PrepaidCores), Escalation: factor,
			PrepaidPrice: billing.Money{Minor: v.PrepaidCorePrice, Currency: currency},
			ExtraPrice:   billing.Money{Minor: v.ExtraCorePrice, Currency: currency}}
		if i > 0 { // the first version is in force from the beginning
			if t.From, err = billing.ParseDate(v.EffectiveFrom); err != nil {
				return contract, err
			}
		}
		contract.Terms = append(contract.Terms, t)
	}
	return contract, contract.Validate()
}

// setupUsage reads the license's setups with their billed cores over the given months.
func (s *Server) setupUsage(ctx context.Context, l store.License, from, to billing.Date) ([]billing.SetupUsage, error) {
	rows, err := s.db.UsageDays(ctx, l.ID, from.String(), to.String())
	if err != nil {
		return nil, err
	}
	setups := make([]billing.SetupUsage, len(rows))
	for i, r := range rows {
		days := make(map[billing.Date]billing.DayCores, len(r.Days))
		for day, cores := range r.Days {
			d, err := billing.ParseDate(day)
			if err != nil {
				return nil, err
			}
			days[d] = billing.DayCores{PeakMicro: cores.PeakMicro, Billed: cores.Billed}
		}
		setups[i] = billing.SetupUsage{ID: r.ID, Name: r.Name, FirstSample: r.FirstSample, Days: days}
	}
	return setups, nil
}

// estimateOf prices a month of the license as the cost engine does.
func (s *Server) estimateOf(c *fiber.Ctx, l store.License, m billing.Month) (billing.Estimate, error) {
	contract, err := s.contractOf(c.UserContext(), l)
	if err != nil {
		return billing.Estimate{}, err
	}
	return s.estimateMonth(c.UserContext(), l, contract, m)
}

// estimateMonth prices a month of a license whose contract is read: the estimate API, the cost
// page and usage invoices all price through here, so they always agree to the cent.
func (s *Server) estimateMonth(ctx context.Context, l store.License, contract billing.Contract, m billing.Month) (billing.Estimate, error) {
	setups, err := s.setupUsage(ctx, l, m.First(), m.Last())
	if err != nil {
		return billing.Estimate{}, err
	}
	return billing.EstimateMonth(contract, setups, m, billing.DateOf(s.clock.Now()))
}

// rightSizingOf compares the prepaid core counts over the last complete months.
func (s *Server) rightSizingOf(c *fiber.Ctx, l store.License) (billing.RightSizing, error) {
	months := billing.LastCompleteMonths(billing.DateOf(s.clock.Now()), billing.RightSizingMonths)
	contract, err := s.contractOf(c.UserContext(), l)
	if err != nil {
		return billing.RightSizing{}, err
	}
	setups, err := s.setupUsage(c.UserContext(), l, months[0].First(), months[len(months)-1].Last())
	if err != nil {
		return billing.RightSizing{}, err
	}
	return billing.RightSize(contract, setups, months, int64(l.Terms.PrepaidCores))
}

// monthParam reads ?month=YYYY-MM, the current month by default.
func (s *Server) monthParam(c *fiber.Ctx) (billing.Month, error) {
	if v := c.Query("month"); v != "" {
		m, err := billing.ParseMonth(v)
		if err != nil {
			return m, badInput("month", "Write the month as YYYY-MM, such as 2026-10.")
		}
		return m, nil
	}
	return billing.MonthOf(billing.DateOf(s.clock.Now())), nil
}

type apiEstimateSetup struct {
	Setup       string `json:"setup"`
	BilledCores int64  `json:"billed_cores"`
	Prepaid     int64  `json:"prepaid"`
	Extra       int64  `json:"extra"`
}

type apiEstimateDay struct {
	Date       billing.Date       `json:"date"`
	ExtraCores int64              `json:"extra_cores"`
	ExtraCost  billing.Amount     `json:"extra_cost"`
	Setups     []apiEstimateSetup `json:"setups"`
}

// apiLicenseEstimate prices a month of a license (DESIGN §5, §6).
// GET /api/v1/licenses/:id/estimate
func (s *Server) apiLicenseEstimate(c *fiber.Ctx) error {
	m, err := s.monthParam(c)
	if err != nil {
		return err
	}
	est, err := s.estimateOf(c, guardedLicense(c), m)
	if err != nil {
		return err
	}
	days := make([]apiEstimateDay, len(est.Days))
	for i, d := range est.Days {
		days[i] = apiEstimateDay{Date: d.Date, ExtraCores: d.ExtraCores, ExtraCost: d.ExtraCost, Setups: []apiEstimateSetup{}}
		for _, sd := range d.Setups {
			days[i].Setups = append(days[i].Setups, apiEstimateSetup{Setup: sd.Name, BilledCores: sd.BilledCores, Prepaid: sd.Prepaid, Extra: sd.Extra})
		}
	}
	return c.JSON(fiber.Map{
		"month": est.Month, "currency": est.Currency, "prepaid_cores": est.PrepaidCores,
		"prepaid_cost": est.PrepaidCost, "extra_cost": est.ExtraCost, "total": est.Total, "complete": est.Complete,
		"projected_extra": est.ProjectedExtra, "projected_total": est.ProjectedTotal, "days": days,
	})
}
