package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// What several instances on one PostgreSQL database share beyond the tables (DESIGN §10):
// notifications of changes (LISTEN/NOTIFY) and locks (advisory locks). On SQLite one process
// holds the database, so both are within that process.

// changesChannel is the channel of Announce and Subscribe.
const changesChannel = "keyward_changes"

// postgres is a PostgreSQL database's connection beyond the pool: its URL, for the listener.
type postgres struct {
	url string

	mu   sync.Mutex
	stop []context.CancelFunc
	wg   sync.WaitGroup
}

func (p *postgres) close() {
	p.mu.Lock()
	for _, cancel := range p.stop {
		cancel()
	}
	p.stop = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// openPostgres connects to PostgreSQL and applies the pending migrations, one instance at a time.
func openPostgres(ctx context.Context, url string, migrationFS fs.FS) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	d := &pgDialect{pool: pool}
	db := &DB{write: pool, read: pool, Now: time.Now, dialect: d, pg: &postgres{url: url}}
	err = db.locked(ctx, "migrate", true, func() error { return db.migrate(ctx, migrationFS) })
	if err == nil {
		d.identities, err = pgIdentityTables(ctx, pool)
	}
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate %s: %w", redactURL(url), err)
	}
	return db, nil
}

// redactURL is a database URL without its password, for messages.
func redactURL(raw string) string {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return "the PostgreSQL database"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// locked runs fn holding the database-wide lock of name: on PostgreSQL an advisory lock held by
// one connection, so that instances take turns; wait false gives up at once when another holds it
// (ran is then false). On SQLite fn just runs.
func (db *DB) locked(ctx context.Context, name string, wait bool, fn func() error) error {
	_, err := db.exclusive(ctx, name, wait, fn)
	return err
}

func (db *DB) exclusive(ctx context.Context, name string, wait bool, fn func() error) (ran bool, err error) {
	if db.pg == nil {
		return true, fn()
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	key := "keyward " + name
	if wait {
		_, err = conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtext($1))`, key)
	} else {
		err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, key).Scan(&ran)
		if err == nil && !ran {
			return false, nil
		}
	}
	if err != nil {
		return false, err
	}
	defer func() {
		// On a closed connection the lock went with the session.
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext($1))`, key)
	}()
	return true, fn()
}

// RunExclusive runs a scheduled job unless another instance runs the same job right now: jobs
// run on one instance at a time (DESIGN §10). It tells whether this instance ran it.
func (db *DB) RunExclusive(ctx context.Context, job string, fn func() error) (bool, error) {
	return db.exclusive(ctx, "job "+job, false, fn)
}

// Announce tells every instance on the database (this one included) of a change, such as
// "license 12"; on SQLite there is no other instance and it does nothing.
func (db *DB) Announce(ctx context.Context, change string) error {
	if db.pg == nil {
		return nil
	}
	_, err := db.write.ExecContext(ctx, `SELECT pg_notify($1, $2)`, changesChannel, change)
	return err
}

// Subscribe calls fn with each change any instance announces, from a connection of its own,
// until stop is called or the database closes. When the connection is lost, changes may have been
// missed: lost is called once it is back, so that whatever was kept in memory is read again. On
// SQLite it does nothing. ready is closed once the first LISTEN is in place.
func (db *DB) Subscribe(log *slog.Logger, fn func(change string), lost func()) (ready <-chan struct{}, stop func()) {
	first := make(chan struct{})
	if db.pg == nil {
		close(first)
		return first, func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	db.pg.mu.Lock()
	db.pg.stop = append(db.pg.stop, cancel)
	db.pg.mu.Unlock()
	db.pg.wg.Add(1)
	go func() {
		defer db.pg.wg.Done()
		defer close(done)
		var once sync.Once
		for attempt := 0; ctx.Err() == nil; attempt++ {
			err := db.listen(ctx, func() {
				once.Do(func() { close(first) })
				if attempt > 0 {
					lost()
				}
			}, fn)
			if ctx.Err() != nil {
				return
			}
			log.Warn("lost the database's notifications of changes; reconnecting", "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(min(attempt+1, 10)) * 100 * time.Millisecond):
			}
		}
	}()
	return first, func() { cancel(); <-done }
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (db *DB) listen(ctx context.Context, listening func(), fn func(string)) error {
	conn, err := pgx.Connect(ctx, db.pg.url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return err
	}
	listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

// ErrSecretMismatch: the instance secret is not the one the database was first used with.
var ErrSecretMismatch = errors.New("instance secret mismatch")

// CheckInstanceSecret compares the check value of the instance secret with the one the database
// keeps (DESIGN §10), storing it on the first start. Every instance on one database must hold
// the same secret; one that does not gets ErrSecretMismatch instead of failing to open keys and
// sessions later.
func (db *DB) CheckInstanceSecret(ctx context.Context, check string) error {
	if db.pg == nil {
		return nil // one process holds a SQLite file, with the secret beside it
	}
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO instance_secret_check (id, value, created_at) VALUES (1, ?, ?)
			ON CONFLICT (id) DO NOTHING`, check, tx.now.Unix()); err != nil {
			return err
		}
		var kept string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM instance_secret_check WHERE id = 1`).Scan(&kept); err != nil {
			return err
		}
		if kept != check {
			return ErrSecretMismatch
		}
		return nil
	})
}

// hold runs read, then work, then write, so that several instances never work on one queued row
// at once (DESIGN §10). On PostgreSQL the three share one READ COMMITTED transaction, and read
// locks its row with the lock clause it is given (FOR UPDATE SKIP LOCKED: a row another instance
// holds is skipped, and read finds nothing); a worker that dies lets go of its row at once. On
// SQLite one process delivers each queue from one worker: read and write are transactions of
// their own, and the lock clause is empty. held is false when read found nothing; write may be nil.
func (db *DB) hold(ctx context.Context, lock string, read func(tx *Tx, lock string) (bool, error), work func() error,
	write func(*Tx) error) (held bool, err error) {
	if db.pg == nil {
		if err := db.view(ctx, func(tx *Tx) error { held, err = read(tx, ""); return err }); err != nil || !held {
			return false, err
		}
		if err := work(); err != nil || write == nil {
			return true, err
		}
		return true, db.update(ctx, write)
	}
	err = db.inTx(ctx, db.write, &sql.TxOptions{Isolation: sql.LevelReadCommitted}, func(tx *Tx) error {
		if held, err = read(tx, " "+lock); err != nil || !held {
			return err
		}
		if err := work(); err != nil || write == nil {
			return err
		}
		return write(tx)
	})
	return held, err
}
