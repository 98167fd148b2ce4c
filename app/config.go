package app

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
)

// Config is what the command line and the environment decide; main fills it and Validate checks it once.
type Config struct {
	Addr         string        // listen address
	DataDir      string        // folder of the database and the instance secret
	Database     string        // empty: SQLite in DataDir; postgres://…: PostgreSQL
	BaseURL      string        // public URL, used in emails and to decide Secure cookies
	SMTPURL      string        // smtp://user:pass@host:port?tls=starttls|tls|none; empty: log emails
	MailFrom     string        // sender of every email
	DeviceRate   int           // device API requests a minute per license key (5× per IP); 0: unlimited
	RawRetention time.Duration // how long raw usage samples are kept
	Demo         bool          // load demo data on an empty database
	MetricsAddr  string        // listen address of /metrics; empty: none
	// WebhookAllowPrivate lets webhook endpoints be on loopback and private addresses.
	WebhookAllowPrivate bool
}

// Validate reports the first setting that cannot work, naming its flag.
func (c Config) Validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--base-url %q: want an absolute http:// or https:// URL", c.BaseURL)
	}
	if c.SMTPURL != "" {
		if _, err := parseSMTPURL(c.SMTPURL); err != nil {
			return fmt.Errorf("--smtp-url: %w", err)
		}
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		return fmt.Errorf("--mail-from %q: want an address such as \"Keyward <noreply@example.com>\"", c.MailFrom)
	}
	if c.DeviceRate < 0 {
		return fmt.Errorf("--device-rate %d: want 0 (no limit) or more", c.DeviceRate)
	}
	if c.RawRetention < 24*time.Hour {
		return fmt.Errorf("--raw-retention %s: keep raw samples at least one day", c.RawRetention)
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr %q: want a listen address such as 127.0.0.1:9090", c.MetricsAddr)
		}
		if c.MetricsAddr == c.Addr {
			return fmt.Errorf("--metrics-addr %q: choose another address than --addr: /metrics is never on the main port", c.MetricsAddr)
		}
	}
	if c.DataDir == "" {
		return fmt.Errorf("--data: name a folder")
	}
	return nil
}

// secureCookies tells whether the portal is reached over https, where cookies must be Secure.
func (c Config) secureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// smtpSettings is a parsed --smtp-url.
type smtpSettings struct {
	Host, Username, Password string
	Port                     int
	TLS                      string // starttls, tls or none
}

func parseSMTPURL(raw string) (smtpSettings, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return smtpSettings{}, fmt.Errorf("%q: want smtp://user:pass@host:port?tls=starttls|tls|none", raw)
	}
	s := smtpSettings{Host: u.Hostname(), Port: 587, TLS: "starttls"}
	if p := u.Port(); p != "" {
		if _, err := fmt.Sscan(p, &s.Port); err != nil || s.Port < 1 || s.Port > 65535 {
			return smtpSettings{}, fmt.Errorf("port %q: want 1 to 65535", p)
		}
	}
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if t := u.Query().Get("tls"); t != "" {
		if t != "starttls" && t != "tls" && t != "none" {
			return smtpSettings{}, fmt.Errorf("tls=%q: want starttls, tls or none", t)
		}
		s.TLS = t
	}
	return s, nil
}

// ParseDuration reads a duration such as 45d, 36h or 90m.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		if _, err := fmt.Sscan(days, &n); err != nil || n < 0 || fmt.Sprint(n) != days {
			return 0, fmt.Errorf("%q: want a whole number of days such as 45d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as 45d or 36h", s)
	}
	return d, nil
}
