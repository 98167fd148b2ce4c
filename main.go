// Command keyward is a license portal, license server and usage-billing appliance in one binary.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"

	"keyward/app"
	"keyward/app/signing"
	"keyward/store"
)

// version is set at build time by the Makefile.
var version = "dev"

const usage = `Keyward: license portal, license server and usage billing in one binary.

Usage:
  keyward [serve] [flags]           run the portal, the APIs and the schedulers (the default)
  keyward migrate [--data DIR]      apply pending database migrations and exit
  keyward backup [--data DIR] FILE  write a consistent copy of the live database to FILE
                                    (SQLite; on PostgreSQL use pg_dump)
  keyward token [--data DIR] --email E [--name N]
                                    print a new personal API token (kwp_…) for that user
  keyward verify --public-key B64 FILE
                                    check an offline license file (POST /api/v1/license-file, as
                                    saved) against the public key of GET /api/v1/public-key, and
                                    print it; a bad signature or an expired file exits non-zero
  keyward version                   print the version
  keyward --help                    show this help

Flags come before positional arguments. Every flag can also be set in the environment as
KEYWARD_ and its name in upper case with underscores (--base-url: KEYWARD_BASE_URL);
a flag on the command line wins over the environment.

Flags of serve:
  --addr ADDR          listen address (default :8080)
  --data DIR           folder of the database and the instance secret (default ./data)
  --database URL       empty: SQLite in --data; postgres://user:pass@host/db: PostgreSQL, where several
                       instances can share the database (every command takes it)
  --base-url URL       public URL, used in emails and to decide Secure cookies (default http://localhost:8080,
                       or http://localhost:PORT of --addr when it listens on another port)
  --smtp-url URL       smtp://user:pass@host:port?tls=starttls|tls|none; empty: emails go to the log
                       and the staff outbox page
  --mail-from ADDR     sender of emails (default "Keyward <noreply@localhost>")
  --device-rate N      device API requests a minute per license key, 5× that per IP; 0: no limit (default 1200)
  --raw-retention D    how long raw usage samples are kept, e.g. 45d or 1080h (default 45d)
  --metrics-addr ADDR  listen address of GET /metrics (Prometheus), e.g. 127.0.0.1:9090; empty: none
  --webhook-allow-private
                       let webhook endpoints be on loopback and private addresses (off: refused)
  --demo               on an empty database, load demo data and print the demo sign-ins

Every instance on one PostgreSQL database holds the same instance secret: copy instance.key into
each one's --data, or set KEYWARD_INSTANCE_KEY to its 32 bytes in standard base64. The database
keeps a check value of it and an instance with another secret refuses to start.

Bootstrap: on an empty database, the vendor organization and a staff owner are created from
KEYWARD_ADMIN_EMAIL (default admin@localhost) and KEYWARD_ADMIN_PASSWORD; without a password,
one is generated and printed once.

SIGTERM and SIGINT shut down gracefully: requests in flight finish, the scheduler stops, the
database closes.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, err) // it starts with the command: "keyward backup: …"
		os.Exit(1)
	}
}

// verify checks a license file offline and prints what it says.
func verify(publicKey, path string, now time.Time, stdout io.Writer) error {
	saved, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	p, err := signing.OpenFile(publicKey, saved, now)
	if errors.Is(err, signing.ErrBadSignature) {
		return fmt.Errorf("%s: bad signature: the file was changed, or signed by another key", path)
	}
	if err != nil && !errors.Is(err, signing.ErrExpired) {
		return fmt.Errorf("%s: %w", path, err)
	}
	var l struct {
		Status  string `json:"status"`
		Product string `json:"product"`
		EndDate string `json:"end_date"`
	}
	json.Unmarshal(p.License, &l)
	fmt.Fprintf(stdout, "Signature:   good (ed25519)\nLicense:     %d (%s, product %s, end date %s)\nFingerprint: %s\nIssued:      %s\nExpires:     %s\n",
		p.LicenseID(), l.Status, l.Product, l.EndDate, p.Fingerprint, p.IssuedAt.UTC().Format(time.RFC3339), p.ExpiresAt.UTC().Format(time.RFC3339))
	if err != nil {
		return fmt.Errorf("%s: expired on %s", path, p.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// synopses are the commands' lines of the help, repeated in the one-line message of a mistyped
// command so that it says what to type without the whole help.
var synopses = map[string]string{
	"serve":   "keyward [serve] [flags]",
	"migrate": "keyward migrate [--data DIR]",
	"backup":  "keyward backup [--data DIR] FILE",
	"token":   "keyward token [--data DIR] --email E [--name N]",
	"verify":  "keyward verify --public-key B64 FILE",
}

// run is the whole program: tests call it as the shell would. Its errors start with the command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	command, explicit := "serve", false
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args, explicit = args[0], args[1:], true
	}
	switch command {
	case "version":
		fmt.Fprintln(stdout, "keyward", version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	if _, ok := synopses[command]; !ok {
		return fmt.Errorf("keyward: unknown command %q (keyward --help lists the commands)", command)
	}
	name := "keyward " + command
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package would print the whole help before its error: the error alone says more.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := runCommand(ctx, fs, command, args, getenv, stdout, stderr); err != nil {
		if !explicit {
			name = "keyward"
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// runCommand runs one command of run, its flags not yet parsed.
func runCommand(ctx context.Context, fs *flag.FlagSet, command string, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	data := fs.String("data", "./data", "")
	database := fs.String("database", "", "")
	switch command {
	case "serve":
		cfg := app.Config{}
		fs.StringVar(&cfg.Addr, "addr", ":8080", "")
		fs.StringVar(&cfg.BaseURL, "base-url", "http://localhost:8080", "")
		fs.StringVar(&cfg.SMTPURL, "smtp-url", "", "")
		fs.StringVar(&cfg.MailFrom, "mail-from", "Keyward <noreply@localhost>", "")
		fs.IntVar(&cfg.DeviceRate, "device-rate", 1200, "")
		retention := fs.String("raw-retention", "45d", "")
		fs.BoolVar(&cfg.Demo, "demo", false, "")
		fs.StringVar(&cfg.MetricsAddr, "metrics-addr", "", "")
		fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", false, "")
		if err := parseFlags(fs, args, getenv, command); err != nil {
			return err
		}
		cfg.DataDir, cfg.Database = *data, *database
		cfg.BaseURL = baseURLFor(fs, getenv, cfg)
		var err error
		if cfg.RawRetention, err = app.ParseDuration(*retention); err != nil {
			return fmt.Errorf("--raw-retention: %w", err)
		}
		if err := cfg.Validate(); err != nil {
			return err
		}
		return serve(ctx, cfg, getenv, stdout, stderr)
	case "migrate":
		if err := parseFlags(fs, args, getenv, command); err != nil {
			return err
		}
		return migrate(ctx, *data, *database, stdout)
	case "backup":
		if err := parseFlags(fs, args, getenv, command, "FILE"); err != nil {
			return err
		}
		db, err := openDB(ctx, *data, *database)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Backup(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Wrote a consistent copy of the database to %s.\n", fs.Arg(0))
		return nil
	case "verify":
		key := fs.String("public-key", "", "")
		if err := parseFlags(fs, args, getenv, command, "FILE"); err != nil {
			return err
		}
		if *key == "" {
			return fmt.Errorf("--public-key is required (GET /api/v1/public-key): %s", synopses[command])
		}
		return verify(*key, fs.Arg(0), time.Now(), stdout)
	case "token":
		email := fs.String("email", "", "")
		name := fs.String("name", "command line", "")
		if err := parseFlags(fs, args, getenv, command); err != nil {
			return err
		}
		if *email == "" {
			return fmt.Errorf("--email is required: %s", synopses[command])
		}
		db, err := openDB(ctx, *data, *database)
		if err != nil {
			return err
		}
		defer db.Close()
		user, err := db.FindUserByEmail(ctx, *email)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no user has the email %s", *email)
		} else if err != nil {
			return err
		}
		token, err := app.NewAPIToken(ctx, db, user.ID, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	}
	return fmt.Errorf("unknown command %q", command)
}

// migrate brings the database of dataDir up to date and says what it did: created it, applied
// some migrations, or nothing.
func migrate(ctx context.Context, dataDir, database string, stdout io.Writer) error {
	path := filepath.Join(dataDir, "keyward.db")
	info, err := os.Stat(path)
	created := err != nil || info.Size() == 0
	db, err := openDB(ctx, dataDir, database)
	if err != nil {
		return err
	}
	applied := db.Applied()
	if database != "" {
		path = "on PostgreSQL"
		created = len(applied) > 0 && applied[0] == "0000_postgres"
	}
	switch {
	case created:
		fmt.Fprintf(stdout, "Created the database %s (%d migrations, up to %s).\n", path, len(applied), applied[len(applied)-1])
	case len(applied) > 0:
		fmt.Fprintf(stdout, "Applied %d migration(s) to %s: %s. It is up to date.\n", len(applied), path, strings.Join(applied, ", "))
	default:
		fmt.Fprintf(stdout, "The database %s is already up to date.\n", path)
	}
	return db.Close()
}

// parseFlags reads the flags, the environment first (KEYWARD_ + NAME) so that the command line wins,
// and checks the positional arguments against their names. Its errors are one line that says what
// to type instead.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, command string, positional ...string) error {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "KEYWARD_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", name, v, err)
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w (keyward --help lists the flags)", err)
	}
	rest, n := fs.Args(), len(positional)
	switch {
	case n > 0 && len(rest) > n && strings.HasPrefix(rest[n], "-"):
		// The flag package stops at the first argument: the flags typed after it arrive here unread.
		fixed := slices.Concat([]string{"keyward", command}, args[:len(args)-len(rest)], rest[n:], rest[:n])
		return fmt.Errorf("flags go before the %s: %s", strings.ToLower(strings.Join(positional, " ")), shellJoin(fixed))
	case len(rest) < len(positional):
		return fmt.Errorf("missing %s: %s", strings.Join(positional[len(rest):], " "), synopses[command])
	case len(rest) > len(positional):
		return fmt.Errorf("unexpected argument %q: %s", rest[len(positional)], synopses[command])
	}
	return nil
}

// shellJoin writes args as a command line a shell reads back the same.
func shellJoin(args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = a
		if a == "" || strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%_+=:,./-", r))
		}) {
			quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// baseURLFor is --base-url, or, when neither the flag nor KEYWARD_BASE_URL gives it, the local
// URL of the port Keyward listens on: so that `--addr :9090` alone still prints a link that opens
// and emails whose links work.
func baseURLFor(fs *flag.FlagSet, getenv func(string) string, cfg app.Config) string {
	given := getenv("KEYWARD_BASE_URL") != ""
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "base-url" })
	_, port, err := net.SplitHostPort(cfg.Addr)
	if given || err != nil || port == "" || port == "0" || port == "8080" {
		return cfg.BaseURL
	}
	return "http://localhost:" + port
}

// openDB opens the database: PostgreSQL when database names it, else SQLite in dataDir.
func openDB(ctx context.Context, dataDir, database string) (*store.DB, error) {
	if database != "" {
		if !store.IsPostgres(database) {
			return nil, fmt.Errorf("--database %q: want empty (SQLite in --data) or a postgres:// URL", database)
		}
		return store.Open(ctx, database)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	// The folder holds the database (with the outbox's links) and the instance secret: only we read it.
	if err := os.Chmod(dataDir, 0o700); err != nil {
		return nil, err
	}
	return store.Open(ctx, filepath.Join(dataDir, "keyward.db"))
}

// serve runs the portal until ctx ends, then shuts down in order: HTTP, scheduler, database.
func serve(ctx context.Context, cfg app.Config, getenv func(string) string, stdout, stderr io.Writer) error {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	secret, err := app.LoadSecret(cfg.DataDir, getenv("KEYWARD_INSTANCE_KEY"))
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg.DataDir, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := app.CheckSecret(ctx, db, secret); err != nil {
		return err
	}
	clock := clockwork.NewRealClock()
	db.Now = clock.Now
	srv, err := app.New(cfg, db, secret, log, clock)
	if err != nil {
		return err
	}
	// What a person must read (a generated password, the demo sign-ins, the address) is printed
	// last, after the logs of start-up, so that they do not scroll it away; and printed even when
	// start-up fails after it, since a generated password is never shown again.
	var banner bytes.Buffer
	printBanner := func() { stdout.Write(banner.Bytes()); banner.Reset() }
	defer printBanner()
	fresh, err := srv.Bootstrap(ctx, getenv("KEYWARD_ADMIN_EMAIL"), getenv("KEYWARD_ADMIN_PASSWORD"), &banner)
	if err != nil {
		return err
	}
	switch {
	case cfg.Demo && fresh:
		if err := srv.LoadDemo(ctx); err != nil {
			return fmt.Errorf("loading demo data: %w (remove %s and start again)", err, cfg.DataDir)
		}
		if err := srv.PrintDemoSignIns(ctx, &banner); err != nil {
			return err
		}
	case cfg.Demo:
		fmt.Fprintf(&banner, "--demo loads nothing: %s already holds data (remove it to start the demo afresh).\n", cfg.DataDir)
	}
	// Bootstrap's argon2 hash (19 MiB) and the demo data are garbage now: give that memory back
	// rather than carry it while idle.
	debug.FreeOSMemory()
	if err := srv.Listen(cfg.Addr); err != nil {
		return err
	}
	fmt.Fprintf(&banner, "Keyward %s is listening on %s; open %s\n", version, srv.URL(), cfg.BaseURL)
	printBanner()

	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Close(shutdownCtx)
}
