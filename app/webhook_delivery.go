package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"keyward/app/retry"
	"keyward/app/webhook"
	"keyward/store"
)

// Webhook delivery, by the queue pattern of the outbox (queue.go): the change's transaction writes
// the event and one delivery per endpoint, this worker delivers them and records each attempt on
// its own. A round takes the due deliveries webhookBatch at a time; each endpoint gets its own in
// the order of their events, one after the other (so that a CRM applies a license's changes in the
// order they happened), while up to webhookParallel endpoints are served at once (so that one slow
// endpoint does not hold the others back). An endpoint that gives no answer is not tried again in
// the same round: its other deliveries wait for their retry, as the outbox's emails wait when the
// mail server is out of reach.
//
// A delivery that fails (no answer, or any status but 2xx) is tried again 30 s later, then 60 s,
// 2 min … at most an hour apart, for 24 hours, always under its event's id; the scheduler's retry
// job looks every webhookRetryEvery, and a restart makes every waiting delivery due at once.
const (
	webhookBatch      = 100
	webhookParallel   = 8
	webhookTimeout    = 10 * time.Second // connect, TLS, and the answer's headers, each
	webhookRetryEvery = 5 * time.Second
	webhookKeep       = 30 * 24 * time.Hour // events delivered or given up are kept this long
)

var webhookRetry = retry.Policy{First: 30 * time.Second, Max: time.Hour, GiveUp: 24 * time.Hour}

// eventRenderer shows the objects of webhook events as the management API does.
type eventRenderer struct{ s *Server }

func (r eventRenderer) License(l store.License) any   { return r.s.apiLicenseJSON(l) }
func (r eventRenderer) Invoice(inv store.Invoice) any { return r.s.apiInvoiceOf(inv) }

// Device is the device as the device API shows it, with its license_id (DESIGN §11).
func (r eventRenderer) Device(d store.Device) any {
	out := apiDevice(d)
	out["license_id"] = d.LicenseID
	return out
}

// wakeWebhooks tells the delivery worker that deliveries were committed; it never blocks.
func (s *Server) wakeWebhooks() { s.webhooks.Wake() }

// startWebhooks starts the delivery worker, every delivery waiting for a retry made due first.
func (s *Server) startWebhooks() {
	if n, err := s.db.ResumeWebhookDeliveries(context.Background()); err != nil {
		s.log.Error("unable to resume the webhook deliveries", "error", err)
	} else if n > 0 {
		s.log.Info("trying again the webhook deliveries that were waiting", "count", n)
	}
	s.webhooks.start()
}

// deliverWebhooks is a round of the webhook worker.
func (s *Server) deliverWebhooks(ctx context.Context) error {
	down := &downEndpoints{errs: map[int64]error{}}
	for {
		due, err := s.db.DueWebhookDeliveries(ctx, webhookBatch)
		if err != nil || len(due) == 0 {
			return err
		}
		var order []int64
		byEndpoint := map[int64][]store.WebhookDelivery{}
		for _, d := range due {
			if byEndpoint[d.EndpointID] == nil {
				order = append(order, d.EndpointID)
			}
			byEndpoint[d.EndpointID] = append(byEndpoint[d.EndpointID], d)
		}
		var wg sync.WaitGroup
		var errMu sync.Mutex
		var errs []error
		var held atomic.Int64
		slots := make(chan struct{}, webhookParallel)
		for _, id := range order {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				// Another instance may be at this endpoint: then it is skipped. Once held, its due
				// deliveries are read again, as that instance may have delivered some meanwhile.
				ok, err := s.db.HoldEndpoint(ctx, id, func() error {
					fresh, err := s.db.EndpointDueDeliveries(ctx, id, len(byEndpoint[id]))
					if err != nil {
						return err
					}
					for _, d := range fresh {
						if ctx.Err() != nil {
							return nil // stopping: the rest stays due for the next start
						}
						if err := s.deliverWebhook(ctx, d, down); err != nil {
							return err
						}
					}
					return nil
				})
				if ok {
					held.Add(1)
				}
				if err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil || ctx.Err() != nil || held.Load() == 0 {
			return err // held none: other instances are at every endpoint with due deliveries
		}
	}
}

// downEndpoints are the endpoints that gave no answer in this round, with why.
type downEndpoints struct {
	mu   sync.Mutex
	errs map[int64]error
}

func (d *downEndpoints) get(id int64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.errs[id]
}

func (d *downEndpoints) set(id int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs[id] = err
}

// deliverWebhook makes one attempt at one delivery and records its outcome.
func (s *Server) deliverWebhook(ctx context.Context, d store.WebhookDelivery, down *downEndpoints) error {
	// The outcome is recorded even when the worker is stopping meanwhile: a delivery made but not
	// marked would be made again at the next start.
	ctx = context.WithoutCancel(ctx)
	if !endpointSees(d.EndpointOrg, d.EventOrg) {
		// Written by queueEvent only for endpoints that see the event's organization: this would be
		// a bug, and tenant isolation wins over delivery.
		s.log.Error("webhook delivery refused: its endpoint may not see the event", "delivery_id", d.ID,
			"endpoint_id", d.EndpointID, "event_org", d.EventOrg.ID)
		s.metrics.webhookFailed()
		return s.db.MarkWebhookFailed(ctx, d.ID, 0, "not sent: this endpoint's organization may not see the event's", time.Time{})
	}
	if err := down.get(d.EndpointID); err != nil {
		return s.webhookFailed(ctx, d, 0, err.Error())
	}
	secret, err := s.unseal("webhook-secret", d.SecretEnc, []byte("webhook-secret"))
	if err != nil {
		// Sealed under another instance secret (a data folder restored without its instance.key):
		// no delivery of this endpoint can be signed again, so none is tried again.
		s.log.Error("unable to open the secret of a webhook endpoint", "endpoint_id", d.EndpointID, "error", err)
		s.metrics.webhookFailed()
		return s.db.MarkWebhookFailed(ctx, d.ID, 0, "not sent: the endpoint's secret cannot be read (instance.key changed): "+
			"delete the endpoint and register it again", time.Time{})
	}
	status, err := s.post(ctx, d, string(secret))
	switch {
	case err != nil:
		reason := "no answer: " + err.Error()
		var refused *webhook.RefusedError
		if errors.As(err, &refused) {
			reason = "not sent: " + refused.Error()
		}
		down.set(d.EndpointID, errors.New(reason))
		return s.webhookFailed(ctx, d, 0, reason)
	case status < 200 || status > 299:
		return s.webhookFailed(ctx, d, status, fmt.Sprintf("the endpoint answered %d %s", status, http.StatusText(status)))
	}
	s.metrics.webhookDelivered()
	return s.db.MarkWebhookDelivered(ctx, d.ID, status)
}

// post sends a delivery, signed at the moment it is sent, and answers the HTTP status.
func (s *Server) post(ctx context.Context, d store.WebhookDelivery, secret string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Keyward-Webhook/1")
	req.Header.Set("Keyward-Webhook-Id", d.EventID)
	req.Header.Set("Keyward-Webhook-Event", d.Event)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, s.clock.Now(), d.Body))
	resp, err := s.webhookClient.Do(req)
	if err != nil {
		return 0, unwrapURLError(err)
	}
	// Read a little of the answer so that the connection can carry the next delivery.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// unwrapURLError drops net/http's `Post "https://…":` prefix: the page shows the URL already.
func unwrapURLError(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// webhookFailed records a failed attempt: due again after the policy's backoff, or given up once
// it has been tried for a day.
func (s *Server) webhookFailed(ctx context.Context, d store.WebhookDelivery, status int, reason string) error {
	s.metrics.webhookFailed()
	next, reason := s.nextAttempt(webhookRetry, d.CreatedAt, d.Attempts+1, reason, false,
		s.log.With("delivery_id", d.ID, "endpoint_id", d.EndpointID, "event_id", d.EventID), "unable to deliver webhook")
	return s.db.MarkWebhookFailed(ctx, d.ID, status, reason, next)
}

// endpointSees tells whether an endpoint's organization sees an event's organization, by the
// policy's own rule of who sees which organization: an endpoint sees what an owner of its
// organization sees (DESIGN §11).
func endpointSees(endpointOrg, eventOrg store.Org) bool {
	a := newAccess([]store.Membership{{Org: endpointOrg, Role: store.RoleOwner}})
	rel, _ := a.relation(eventOrg)
	return rel != relNone
}

// pruneWebhookEvents drops the events past webhookKeep whose deliveries are all over.
func (s *Server) pruneWebhookEvents(ctx context.Context) error {
	n, err := s.db.PruneWebhookEvents(ctx, s.clock.Now().Add(-webhookKeep))
	if n > 0 {
		s.log.Info("pruned webhook events", "count", n)
	}
	return err
}

// markOverdueInvoices queues invoice.overdue for the invoices whose due date has passed.
func (s *Server) markOverdueInvoices(ctx context.Context) error {
	n, err := s.db.MarkOverdueInvoices(ctx, civilDay(s.clock.Now()))
	if n > 0 {
		s.log.Info("invoices became overdue", "count", n)
	}
	return err
}

// serverResolver asks the server's resolver of the moment: tests replace it after New to play a
// DNS server.
type serverResolver struct{ s *Server }

func resolverOf(s *Server) webhook.Resolver { return serverResolver{s} }

func (r serverResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	return r.s.webhookResolver.LookupNetIP(ctx, network, host)
}
