package app

import (
	"context"
	"log/slog"
)

// queueWorker delivers one queue (the outbox today, webhooks next) from a single goroutine, so that
// no message of the queue is handed over twice at once. Every queue follows the one pattern: a row
// written in the same transaction as the change that causes it, delivered by this worker, each
// message recorded on its own as soon as its attempt ends (so a crash repeats at most the message in
// flight), and failures spaced by a retry.Policy.
//
// The worker runs a round when woken: at start, by a commit that queued messages, and by the
// scheduler's retry job for the messages whose next attempt has come. A round delivers every due
// message; wakes during a round make one more round, never more.
type queueWorker struct {
	name  string
	log   *slog.Logger
	round func(ctx context.Context) error

	wake   chan struct{}
	done   chan struct{}
	cancel context.CancelFunc
}

func newQueueWorker(name string, log *slog.Logger, round func(context.Context) error) *queueWorker {
	return &queueWorker{name: name, log: log, round: round, wake: make(chan struct{}, 1)}
}

// Wake asks for a round; it never blocks.
func (w *queueWorker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// start runs the worker until stop, with a first round at once for what is left from before; the
// channel it returns is closed when that first round ends.
func (w *queueWorker) start() <-chan struct{} {
	var ctx context.Context
	ctx, w.cancel = context.WithCancel(context.Background())
	w.done = make(chan struct{})
	first := make(chan struct{})
	go w.run(ctx, first)
	return first
}

func (w *queueWorker) run(ctx context.Context, first chan struct{}) {
	defer close(w.done)
	w.runRound(ctx)
	close(first)
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		}
		w.runRound(ctx)
	}
}

func (w *queueWorker) runRound(ctx context.Context) {
	if err := w.round(ctx); err != nil && ctx.Err() == nil {
		w.log.Error("unable to deliver the queue", "queue", w.name, "error", err)
	}
}

// stop ends the worker and waits for it: a round stops after the message in flight, which is
// recorded, so that a graceful stop never sends a message twice.
func (w *queueWorker) stop() {
	if w.cancel != nil {
		w.cancel()
		<-w.done
		w.cancel = nil
	}
}
