package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/store"
)

// Overage alerts (DESIGN §11): the first time in a UTC month that a license has a day with extra
// cores (§5.4), its client's owners and its issuer's owners get one email, and endpoints one
// usage.overage event. The usage report that makes a day go over checks right after it is stored;
// a sweep at start and every hour catches what a stop in between may have held back. Only days of
// the current month count, so a history import sends nothing. The license's overage_alerts turns
// the emails off (the webhook event, which a distributor subscribed to, still goes); each user may
// opt out on their profile.

// overageDays are the days of the current month, up to today, that a report's samples with cores touched.
func overageDays(samples []store.UsageSample, today billing.Date) []string {
	first := billing.MonthOf(today).First()
	seen := map[billing.Date]bool{}
	var days []string
	for _, smp := range samples {
		d := billing.DateOf(smp.Time)
		if seen[d] || d.Before(first) || d.After(today) || !slices.ContainsFunc(smp.Metrics, isCores) {
			continue
		}
		seen[d] = true
		days = append(days, d.String())
	}
	slices.Sort(days)
	return days
}

func isCores(m store.UsageMetric) bool { return m.Name == store.CoresMetric }

// checkOverage alerts once per month when one of days (YYYY-MM-DD, the current month's) has extra
// cores. It costs one cheap query while nothing can be over, and nothing once the month's alert is
// recorded (remembered in memory).
func (s *Server) checkOverage(ctx context.Context, licenseID int64, days []string) error {
	today := billing.DateOf(s.clock.Now())
	month := billing.MonthOf(today)
	if m, ok := s.overageAlerted.Load(licenseID); ok && m == month {
		return nil
	}
	if len(days) == 0 {
		return nil
	}
	oc, err := s.db.CheckOverage(ctx, licenseID, month.String(), days)
	if err != nil {
		return err
	}
	if oc.Recorded {
		s.overageAlerted.Store(licenseID, month)
		return nil
	}
	if !slices.ContainsFunc(days, oc.MayHaveExtra) {
		return nil
	}
	l, err := s.db.FindLicense(ctx, licenseID)
	if err != nil {
		return err
	}
	contract, err := s.contractOf(ctx, l)
	if err != nil {
		return err
	}
	est, err := s.estimateMonth(ctx, l, contract, month)
	if err != nil {
		return err
	}
	for _, d := range est.Days {
		if d.InContract && d.ExtraCores > 0 && slices.Contains(days, d.Date.String()) {
			return s.alertOverage(ctx, l, est, d)
		}
	}
	return nil
}

// alertOverage records the month's alert with its emails and its usage.overage event.
func (s *Server) alertOverage(ctx context.Context, l store.License, est billing.Estimate, day billing.DayCost) error {
	a := store.OverageAlert{LicenseID: l.ID, Month: est.Month.String(), Day: day.Date.String(), ExtraCores: day.ExtraCores,
		ExtraCost: est.ExtraCost.String(), Currency: string(est.Currency)}
	var emails []store.Email
	if !l.OverageAlertsOff {
		var err error
		if a.Recipients, err = s.db.OverageRecipients(ctx, l.OrgID, l.DistributorID); err != nil {
			return err
		}
		for _, to := range a.Recipients {
			e, err := s.email(to, "overage-alert", map[string]any{"License": l, "Day": day.Date.String(),
				"ExtraCores": day.ExtraCores, "Setups": day.Setups, "Month": est.Month.String(),
				"ExtraCost": amountText(est.ExtraCost), "URL": fmt.Sprintf("/licenses/%d/cost?month=%s", l.ID, est.Month)})
			if err != nil {
				return err
			}
			emails = append(emails, e)
		}
	}
	data := s.apiLicenseJSON(l)
	data["overage"] = fiber.Map{"month": a.Month, "date": a.Day, "extra_cores": a.ExtraCores, "extra_cost": a.ExtraCost,
		"currency": a.Currency}
	recorded, err := s.db.RecordOverageAlert(ctx, a, emails, data)
	if err != nil {
		return err
	}
	s.overageAlerted.Store(l.ID, est.Month)
	if recorded && len(emails) > 0 {
		s.wakeOutbox()
	}
	return nil
}

// overageSweep looks, for each license with billed cores this month and no alert yet, whether a day
// of the month so far has extra cores: the backstop of the check each usage report makes.
func (s *Server) overageSweep(ctx context.Context) error {
	today := billing.DateOf(s.clock.Now())
	month := billing.MonthOf(today)
	ls, err := s.db.LicensesOverageUnrecorded(ctx, month.String(), month.First().String())
	if err != nil {
		return err
	}
	var days []string
	for d := month.First(); !d.After(today); d = d.AddDays(1) {
		days = append(days, d.String())
	}
	for _, l := range ls {
		if err := s.checkOverage(ctx, l.ID, days); err != nil {
			return fmt.Errorf("license %d: %w", l.ID, err)
		}
	}
	return nil
}

// setOverageAlerts turns a license's overage alerts on or off, with its history line.
func (s *Server) setOverageAlerts(c *fiber.Ctx, id int64, on bool) (store.License, error) {
	l, err := s.db.ChangeLicense(c.UserContext(), id, actor(c), func(l *store.License, now time.Time) (store.LicenseChange, error) {
		before := *l
		l.OverageAlertsOff = !on
		return store.LicenseChange{Events: licenseDiff(before, *l, civilDay(now.AddDate(0, 0, 1)))}, nil
	})
	s.forgetLicense(c.UserContext(), id)
	return l, err
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// routeOverage registers the switches of overage alerts: a license's, and each user's own.
func (s *Server) routeOverage() {
	s.route(fiber.MethodPost, "/licenses/:id/overage-alerts", guard{Action: ActionOverageAlerts, Scope: s.licenseParam("id")}, s.overageAlertsPage)
	s.route(fiber.MethodPost, "/profile/overage-alerts", guard{Action: ActionSignedIn}, s.overageOptOutPage)
}

// overageAlertsPage turns a license's overage alerts on or off from its page.
// POST /licenses/:id/overage-alerts
func (s *Server) overageAlertsPage(c *fiber.Ctx) error {
	on := c.FormValue("overage_alerts") == "on"
	if v := c.FormValue("overage_alerts"); v != "on" && v != "off" {
		return badInput("overage_alerts", "Choose on or off.")
	}
	l := guardedLicense(c)
	if _, err := s.setOverageAlerts(c, l.ID, on); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d?notice=alerts-saved", l.ID), fiber.StatusSeeOther)
}

// overageOptOutPage turns the user's own overage alerts on or off.
// POST /profile/overage-alerts
func (s *Server) overageOptOutPage(c *fiber.Ctx) error {
	v := c.FormValue("overage_alerts")
	if v != "on" && v != "off" {
		return badInput("overage_alerts", "Choose on or off.")
	}
	u, a := currentUser(c), actor(c)
	if err := s.db.SetOverageOptOut(c.UserContext(), u.ID, v == "off", store.AuditEntry{ActorUserID: a.UserID,
		ActorEmail: a.Email, Action: "user.overage_alerts", IP: a.IP, Details: "overage alerts " + v}); err != nil {
		return err
	}
	return c.Redirect("/profile?notice=alerts-saved", fiber.StatusSeeOther)
}
