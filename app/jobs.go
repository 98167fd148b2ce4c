package app

import (
	"context"
	"time"

	"github.com/go-co-op/gocron/v2"
)

// newScheduler registers the periodic jobs; each is idempotent and safe to run twice.
func (s *Server) newScheduler() (gocron.Scheduler, error) {
	sched, err := gocron.NewScheduler(gocron.WithClock(s.clock), gocron.WithLocation(time.UTC))
	if err != nil {
		return nil, err
	}
	jobs := []struct {
		name  string
		every time.Duration
		run   func(context.Context) error
		local bool // every instance runs it for its own memory and workers
	}{
		{"delete expired sessions", time.Hour, s.deleteExpiredSessions, false},
		{"retry email delivery", outboxRetryEvery, func(context.Context) error { s.wakeOutbox(); return nil }, true},
		{"prune raw usage", time.Hour, s.pruneRawUsage, false},
		// Hourly rather than daily: each run is idempotent, and a day's changes then never wait long.
		{"license lifecycle", time.Hour, s.licenseLifecycle, false},
		{"flush device last-seen times", 5 * time.Second, s.flushSeen, true},
		// A minute is fine-grained enough for heartbeats counted in minutes.
		{"deactivate silent devices", time.Minute, s.cullSilentDevices, false},
		{"retry webhook delivery", webhookRetryEvery, func(context.Context) error { s.wakeWebhooks(); return nil }, true},
		{"prune webhook events", time.Hour, s.pruneWebhookEvents, false},
		{"invoice overdue events", time.Hour, s.markOverdueInvoices, false},
		// A backstop: the report that makes a day go over its prepaid cores alerts at once.
		{"overage alerts", time.Hour, s.overageSweep, false},
	}
	for _, j := range jobs {
		task := gocron.NewTask(s.runJob, j.name, j.run)
		if j.local {
			task = gocron.NewTask(s.runLocalJob, j.name, j.run)
		}
		_, err := sched.NewJob(gocron.DurationJob(j.every), task,
			gocron.WithName(j.name), gocron.WithSingletonMode(gocron.LimitModeReschedule))
		if err != nil {
			return nil, err
		}
	}
	// Invoices once a day, at 01:00 UTC: the day before is over by then. Listen runs it once too, to
	// catch up after a downtime.
	if _, err := sched.NewJob(gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(1, 0, 0))),
		gocron.NewTask(s.runJob, "invoice generation", s.generateInvoices), gocron.WithName("invoice generation"),
		gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
		return nil, err
	}
	// Overdue reminders once a day, at 08:00 UTC, so that they arrive in the morning.
	if _, err := sched.NewJob(gocron.DailyJob(1, gocron.NewAtTimes(gocron.NewAtTime(8, 0, 0))),
		gocron.NewTask(s.runJob, "invoice reminders", s.invoiceReminders), gocron.WithName("invoice reminders"),
		gocron.WithSingletonMode(gocron.LimitModeReschedule)); err != nil {
		return nil, err
	}
	return sched, nil
}

// runJob runs one job and logs its failure; the next run tries again. With several instances on
// one database a job runs on one of them at a time (an advisory lock on PostgreSQL): an instance
// that finds it running elsewhere skips this run.
func (s *Server) runJob(name string, run func(context.Context) error) {
	ctx := context.Background()
	ran, err := s.db.RunExclusive(ctx, name, func() error { return run(ctx) })
	if !ran && err == nil {
		s.log.Debug("job skipped: another instance runs it", "job", name)
		return
	}
	s.metrics.jobRun(name, err)
	if err != nil {
		s.log.Error("job failed", "job", name, "error", err)
	}
}

// runLocalJob runs a job that every instance runs for itself: it flushes or wakes what is in its
// own memory.
func (s *Server) runLocalJob(name string, run func(context.Context) error) {
	err := run(context.Background())
	s.metrics.jobRun(name, err)
	if err != nil {
		s.log.Error("job failed", "job", name, "error", err)
	}
}

// deleteExpiredSessions removes the sessions past their idle or absolute timeout, and the
// half-sessions of sign-ins that never got their second factor.
func (s *Server) deleteExpiredSessions(ctx context.Context) error {
	n, err := s.db.DeleteExpiredSessions(ctx, sessionIdleTimeout, sessionAbsoluteTimeout)
	if n > 0 {
		s.log.Info("deleted expired sessions", "count", n)
	}
	if err != nil {
		return err
	}
	n, err = s.db.DeleteExpiredLoginChallenges(ctx)
	if n > 0 {
		s.log.Info("deleted expired sign-in challenges", "count", n)
	}
	return err
}

// pruneRawUsage drops the raw usage samples of the days past the retention; the hourly
// roll-ups and daily cores they were summed into stay, so no cost changes.
func (s *Server) pruneRawUsage(ctx context.Context) error {
	before := s.clock.Now().Add(-s.cfg.RawRetention).UTC().Format(time.DateOnly)
	n, err := s.db.PruneRawUsage(ctx, before)
	if n > 0 {
		s.log.Info("pruned raw usage", "days", n, "before", before)
	}
	return err
}
