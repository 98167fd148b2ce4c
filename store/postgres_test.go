package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"keyward/store/storetest"
)

// twoInstances opens one PostgreSQL database twice, as two instances of Keyward would.
func twoInstances(t *testing.T) (*DB, *DB) {
	t.Helper()
	if !storetest.Postgres() {
		t.Skip("several instances share a PostgreSQL database: set " + storetest.EnvVar + " (make test and CI do)")
	}
	target := storetest.Target(t, t.TempDir())
	var dbs [2]*DB
	for i := range dbs {
		db, err := Open(context.Background(), target)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

func TestJobsRunOnOneInstanceAtATime(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		_, err := a.RunExclusive(ctx, "license lifecycle", func() error { close(inside); <-release; return nil })
		done <- err
	}()
	<-inside
	ran, err := b.RunExclusive(ctx, "license lifecycle", func() error { return nil })
	if err != nil || ran {
		t.Errorf("the same job on the other instance meanwhile: ran %v, %v; want skipped", ran, err)
	}
	if ran, err := b.RunExclusive(ctx, "invoice generation", func() error { return nil }); err != nil || !ran {
		t.Errorf("another job meanwhile: ran %v, %v; want run", ran, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if ran, err := b.RunExclusive(ctx, "license lifecycle", func() error { return nil }); err != nil || !ran {
		t.Errorf("the job once the first instance is done: ran %v, %v; want run", ran, err)
	}
}

func TestAnnouncedChangesReachEveryInstance(t *testing.T) {
	a, b := twoInstances(t)
	got := make(chan string, 1)
	ready, stop := b.Subscribe(slog.New(slog.NewTextHandler(io.Discard, nil)), func(c string) { got <- c }, func() {})
	defer stop()
	<-ready
	if err := a.Announce(context.Background(), "license 7"); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-got:
		if c != "license 7" {
			t.Errorf("received %q, want license 7", c)
		}
	case <-time.After(time.Second):
		t.Error("no change arrived within a second")
	}
}

func TestInstanceSecretCheck(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	if err := a.CheckInstanceSecret(ctx, "check-1"); err != nil {
		t.Fatalf("first start: %v", err)
	}
	if err := b.CheckInstanceSecret(ctx, "check-1"); err != nil {
		t.Errorf("an instance with the same secret: %v", err)
	}
	if err := b.CheckInstanceSecret(ctx, "check-2"); !errors.Is(err, ErrSecretMismatch) {
		t.Errorf("an instance with another secret: %v, want ErrSecretMismatch", err)
	}
}

func TestAQueuedRowIsHeldByOneInstance(t *testing.T) {
	a, b := twoInstances(t)
	ctx := context.Background()
	vendor, owner := Org{Name: "V"}, User{Email: "v@k.test", Name: "V", PasswordHash: "x"}
	if err := a.CreateVendor(ctx, &vendor, &owner); err != nil {
		t.Fatal(err)
	}
	var endpoint int64
	if err := a.update(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (organization_id, url, events, secret_enc, secret_hint, created_at)
			VALUES ((SELECT id FROM organizations WHERE kind = 'vendor'), 'https://hooks.example/k', 'license.created', ?, 'abcd', 0)
			RETURNING id`, []byte{1}).Scan(&endpoint)
	}); err != nil {
		t.Fatal(err)
	}
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		held, err := a.HoldEndpoint(ctx, endpoint, func() error { close(inside); <-release; return nil })
		if err == nil && !held {
			err = errors.New("the first instance did not hold the endpoint")
		}
		done <- err
	}()
	<-inside
	// A change that queues deliveries for the endpoint does not wait for the worker that holds it.
	if err := b.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET events = events WHERE id = ? AND 1 = 0`, endpoint)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if held, err := b.HoldEndpoint(ctx, endpoint, func() error { return nil }); err != nil || held {
		t.Errorf("the other instance meanwhile: held %v, %v; want skipped", held, err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if held, err := b.HoldEndpoint(ctx, endpoint, func() error { return nil }); err != nil || !held {
		t.Errorf("once the first is done: held %v, %v; want held", held, err)
	}
}
