// Command keyward is a license portal, license server and usage-billing appliance in one binary.
package main

import (
	"context"
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
	"strings"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"

	"keyward/app"
	"keyward/store"
)

// version is set at build time by the Makefile.
var version = "dev"

const usage = `Keyward: license portal, license server and usage billing in one binary.

Usage:
  keyward [serve] [flags]           run the portal, the APIs and the schedulers (the default)
  keyward migrate [--data DIR]      apply pending database migrations and exit
  keyward backup [--data DIR] FILE  write a consistent copy of the live database to FILE
  keyward token [--data DIR] --email E [--name N]
                                    print a new personal API token (kwp_…) for that user
  keyward version                   print the version
  keyward --help                    show this help

Flags come before positional arguments. Every flag can also be set in the environment as
KEYWARD_ and its name in upper case with underscores (--base-url: KEYWARD_BASE_URL);
a flag on the command line wins over the environment.

Flags of serve:
  --addr ADDR          listen address (default :8080)
  --data DIR           folder of the database and the instance secret (default ./data)
  --base-url URL       public URL, used in emails and to decide Secure cookies (default http://localhost:8080,
                       or http://localhost:PORT of --addr when it listens on another port)
  --smtp-url URL       smtp://user:pass@host:port?tls=starttls|tls|none; empty: emails go to the log
                       and the staff outbox page
  --mail-from ADDR     sender of emails (default "Keyward <noreply@localhost>")
  --device-rate N      device API requests a minute per license key, 5× that per IP; 0: no limit (default 1200)
  --raw-retention D    how long raw usage samples are kept, e.g. 45d or 1080h (default 45d)
  --demo               on an empty database, load demo data and print the demo sign-ins

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
		fmt.Fprintln(os.Stderr, "keyward:", err)
		os.Exit(1)
	}
}

// run is the whole program: tests call it as the shell would.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	command := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		command, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("keyward "+command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	data := fs.String("data", "./data", "")
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
		if err := parseFlags(fs, args, getenv, 0); err != nil {
			return err
		}
		cfg.DataDir = *data
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
		if err := parseFlags(fs, args, getenv, 0); err != nil {
			return err
		}
		db, err := openDB(ctx, *data)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "The database is up to date.")
		return db.Close()
	case "backup":
		if err := parseFlags(fs, args, getenv, 1); err != nil {
			return err
		}
		db, err := openDB(ctx, *data)
		if err != nil {
			return err
		}
		defer db.Close()
		if err := db.Backup(ctx, fs.Arg(0)); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		fmt.Fprintf(stdout, "Wrote a consistent copy of the database to %s.\n", fs.Arg(0))
		return nil
	case "token":
		email := fs.String("email", "", "")
		name := fs.String("name", "command line", "")
		if err := parseFlags(fs, args, getenv, 0); err != nil {
			return err
		}
		if *email == "" {
			return errors.New("token: --email is required")
		}
		db, err := openDB(ctx, *data)
		if err != nil {
			return err
		}
		defer db.Close()
		user, err := db.FindUserByEmail(ctx, *email)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("token: no user has the email %s", *email)
		} else if err != nil {
			return err
		}
		token, err := app.NewAPIToken(ctx, db, user.ID, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	case "version":
		fmt.Fprintln(stdout, "keyward", version)
		return nil
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", command)
}

// parseFlags reads the flags, the environment first (KEYWARD_ + NAME) so that the command line wins,
// and checks the number of positional arguments.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, positional int) error {
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
		return err
	}
	if fs.NArg() != positional {
		fs.Usage()
		if positional == 0 {
			return fmt.Errorf("%s: unexpected argument %q (flags come before arguments)", fs.Name(), fs.Arg(0))
		}
		return fmt.Errorf("%s: want %d argument(s), got %d", fs.Name(), positional, fs.NArg())
	}
	return nil
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

func openDB(ctx context.Context, dataDir string) (*store.DB, error) {
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
	secret, err := app.LoadSecret(cfg.DataDir)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	clock := clockwork.NewRealClock()
	db.Now = clock.Now
	srv, err := app.New(cfg, db, secret, log, clock)
	if err != nil {
		return err
	}
	fresh, err := srv.Bootstrap(ctx, getenv("KEYWARD_ADMIN_EMAIL"), getenv("KEYWARD_ADMIN_PASSWORD"), stdout)
	if err != nil {
		return err
	}
	if cfg.Demo {
		if fresh {
			if err := srv.LoadDemo(ctx); err != nil {
				return fmt.Errorf("loading demo data: %w (remove %s and start again)", err, cfg.DataDir)
			}
		}
		if err := srv.PrintDemoSignIns(ctx, stdout); err != nil {
			return err
		}
	}
	// Bootstrap's argon2 hash (19 MiB) and the demo data are garbage now: give that memory back
	// rather than carry it while idle.
	debug.FreeOSMemory()
	if err := srv.Listen(cfg.Addr); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Keyward %s is listening on %s; open %s\n", version, srv.URL(), cfg.BaseURL)

	<-ctx.Done()
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return srv.Close(shutdownCtx)
}
