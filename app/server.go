// Package app is Keyward's web portal, its JSON APIs, its emails and its scheduled jobs.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/gofiber/template/html/v2"
	"github.com/jonboulle/clockwork"

	"keyward/app/ratelimit"
	"keyward/app/signing"
	"keyward/app/webhook"
	"keyward/assets"
	"keyward/store"
	"keyward/views"
)

// Session timeouts of DESIGN §2.
const (
	sessionIdleTimeout     = 12 * time.Hour
	sessionAbsoluteTimeout = 7 * 24 * time.Hour
)

// Server is the running portal: its dependencies as fields, its handlers as methods.
type Server struct {
	cfg       Config
	db        *store.DB
	log       *slog.Logger
	clock     clockwork.Clock
	secret    []byte
	passwords *passwordHasher
	assets    *assetFiles
	fiber     *fiber.App
	scheduler gocron.Scheduler
	ln        net.Listener
	mails     *mailTemplates

	outbox   *queueWorker
	webhooks *queueWorker

	webhookClient   *http.Client
	webhookResolver webhook.Resolver // tests play DNS through it

	overageAlerted *sync.Map // license id → the billing.Month whose overage alert is recorded

	metrics       *appMetrics
	metricsServer *http.Server
	metricsLn     net.Listener

	signInByEmail *ratelimit.Limiter
	signInByIP    *ratelimit.Limiter
	codeTries     *ratelimit.Limiter // second-factor codes, per account
	forgotByEmail *ratelimit.Limiter
	forgotByIP    *ratelimit.Limiter
	deviceByKey   *ratelimit.Limiter // nil: --device-rate 0
	deviceByIP    *ratelimit.Limiter
	devices       *deviceCache
	stopChanges   func()          // ends the subscription to the changes other instances announce
	instance      string          // a random name of this instance, in the changes it announces
	signer        *signing.Signer // signs the device API's answers and license files (DESIGN §9)
	seatOps       chan *seatOp    // seat writes waiting for the seat writer's next commit
	seatsDone     chan struct{}   // closed when the seat writer has stopped
	closeSeats    *sync.Once

	// signInByDevice limits the sign-ins of browsers that signed in to the account before.
	signInByDevice *ratelimit.Limiter

	routeTable []routeEntry
	routed     map[string]bool // "METHOD /pattern" of every route fiber serves, for the metrics
	uploads    []uploadRoute   // the only routes that take multipart bodies
}

// New builds a server over an open database; secret is the instance secret of the data folder.
func New(cfg Config, db *store.DB, secret []byte, log *slog.Logger, clock clockwork.Clock) (*Server, error) {
	s := &Server{
		cfg:       cfg,
		db:        db,
		log:       log,
		clock:     clock,
		secret:    secret,
		passwords: newPasswordHasher(),
		// Ten tries a quarter of an hour per account and sixty per address slow guessing to a crawl
		// while a person who mistypes never notices.
		signInByEmail: ratelimit.New(10, 15*time.Minute, clock.Now),
		signInByIP:    ratelimit.New(60, 15*time.Minute, clock.Now),
		// Codes are counted per account like passwords (DESIGN §2): ten tries a quarter of an hour
		// give an attacker who has the password one chance in about 33,000 of hitting one of the
		// three codes in force, and every wrong code is audited.
		codeTries: ratelimit.New(10, 15*time.Minute, clock.Now),
		// A reset link an hour is plenty for a person; more would let anyone flood an inbox.
		forgotByEmail: ratelimit.New(3, time.Hour, clock.Now),
		forgotByIP:    ratelimit.New(20, time.Hour, clock.Now),
		devices:       newDeviceCache(),
		instance:      randomToken()[:12],
		signer:        signing.NewSigner(secret),
		seatOps:       make(chan *seatOp, seatQueue),
		seatsDone:     make(chan struct{}),
		closeSeats:    &sync.Once{},
	}
	go s.writeSeats()
	// A browser with a device cookie of the account gets ten tries of its own instead of those of
	// the account and the address: strangers' guesses lock new browsers out, never its owner's.
	s.signInByDevice = ratelimit.New(10, 15*time.Minute, clock.Now)
	if cfg.DeviceRate > 0 {
		s.deviceByKey = ratelimit.New(cfg.DeviceRate, time.Minute, clock.Now)
		s.deviceByIP = ratelimit.New(5*cfg.DeviceRate, time.Minute, clock.Now)
	}
	s.outbox = newQueueWorker("outbox", log, s.deliverOutbox)
	s.webhooks = newQueueWorker("webhooks", log, s.deliverWebhooks)
	s.metrics = newAppMetrics()
	s.overageAlerted = &sync.Map{}
	s.webhookResolver = net.DefaultResolver
	s.webhookClient = webhook.Client(&webhook.Dialer{Resolver: resolverOf(s), AllowPrivate: cfg.WebhookAllowPrivate,
		Timeout: webhookTimeout}, webhookTimeout)
	db.Events, db.EventsQueued = eventRenderer{s}, s.wakeWebhooks
	var err error
	if s.assets, err = loadAssets(assets.FS); err != nil {
		return nil, err
	}
	if s.mails, err = loadMailTemplates(views.FS); err != nil {
		return nil, err
	}
	engine := html.NewFileSystem(http.FS(views.FS), ".html")
	engine.AddFuncMap(s.templateFuncs())
	if err := engine.Load(); err != nil {
		return nil, err
	}
	s.fiber = fiber.New(fiber.Config{
		AppName:               "Keyward",
		Views:                 engine,
		ViewsLayout:           "layouts/main",
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           2 * time.Minute,
		CaseSensitive:         true,                 // "/API/…" must not reach the API routes with the portal's cookie
		BodyLimit:             maxUsageBody + 1<<20, // usage reports; gzipped ones are bounded again once unpacked
		// fasthttp would otherwise parse every multipart body while reading it, before any middleware:
		// refuseUnboundedBodies must see it first, and only upload routes parse theirs (c.FormFile).
		DisablePreParseMultipartForm: true,
	})
	if s.scheduler, err = s.newScheduler(); err != nil {
		return nil, err
	}
	s.routes()
	s.routed = map[string]bool{}
	for _, r := range s.fiber.GetRoutes(true) {
		s.routed[r.Method+" "+r.Path] = true
	}
	return s, nil
}

func (s *Server) routes() {
	r := s.fiber
	r.Use(recover.New(), requestid.New(), s.accessLog, s.deviceAnswers, s.securityHeaders, s.refuseUnboundedBodies)
	r.Get("/assets/*", s.asset)
	r.Get("/healthz", s.healthz)

	// The APIs authenticate with a header, the portal with its session cookie and CSRF tokens.
	r.Use("/api", s.authenticateToken)
	r.Use(portalOnly(s.loadSession), portalOnly(s.checkCSRF))

	s.route(fiber.MethodGet, "/api/v1/me", guard{Action: ActionSignedIn}, s.apiMe)
	s.route(fiber.MethodGet, "/api/openapi.json", guard{Action: ActionPublic}, s.openAPI)
	s.route(fiber.MethodGet, "/api/v1/public-key", guard{Action: ActionPublic}, s.publicKey)
	s.routeAuth()
	s.routeLicenses()
	s.route(fiber.MethodGet, "/", guard{Action: ActionSignedIn}, s.home)
	s.routeOrgs()
	s.routeImpersonation()
	s.routeInvitations()
	s.routeProfile()
	s.routeTwoFactor()
	s.routeTerms()
	s.routeAdmin()
	s.routeUsage()
	s.routeInvoices()
	s.routeInvoicePages()
	s.routeWebhooks()
	s.routeOverage()
	r.Use(func(c *fiber.Ctx) error { c.Locals(noRoute, true); return errNotFound })
}

// Listen binds addr and serves in the background; the scheduler and the email worker start
// with it, and the worker looks at once for emails left from before a stop. It returns after
// that first look, or after startupMailWait.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	if err := s.listenMetrics(); err != nil {
		ln.Close()
		return fmt.Errorf("--metrics-addr: %w", err)
	}
	// Other instances on the database tell their license changes: listen before answering devices.
	ready, stop := s.db.Subscribe(s.log, s.changeAnnounced, s.devices.forgetAll)
	s.stopChanges = stop
	select {
	case <-ready:
	case <-time.After(startupMailWait):
		s.log.Warn("not yet listening to the other instances' changes; trying on")
	}
	go func() {
		if err := s.fiber.Listener(ln); err != nil {
			s.log.Error("server stopped", "error", err)
		}
	}()
	// Catch up on the license days missed while the server was down, before devices ask.
	s.runJob("license lifecycle", s.licenseLifecycle)
	s.runJob("invoice generation", s.generateInvoices)
	s.runJob("invoice reminders", s.invoiceReminders)
	// And on the overage alerts a stop between a usage report and its alert may have held back.
	s.runJob("overage alerts", s.overageSweep)
	s.scheduler.Start()
	s.startWebhooks()
	// Wait for the outbox's first round, briefly: what it logs then comes before the caller's
	// start-up banner instead of scrolling it away. A slow SMTP server only delays the banner.
	select {
	case <-s.startOutbox():
	case <-time.After(startupMailWait):
	}
	return nil
}

// startupMailWait bounds how long Listen waits for the first delivery of the outbox.
const startupMailWait = 5 * time.Second

// URL is the address the server listens on, as http://host:port.
func (s *Server) URL() string {
	return "http://" + s.ln.Addr().String()
}

// Close stops taking requests, lets those in flight finish, then stops the scheduler and the
// email and webhook workers; the caller closes the database after it.
func (s *Server) Close(ctx context.Context) error {
	var errs []error
	if s.ln != nil {
		errs = append(errs, s.fiber.ShutdownWithContext(ctx))
	}
	if s.metricsServer != nil {
		errs = append(errs, s.metricsServer.Shutdown(ctx))
	}
	errs = append(errs, s.scheduler.Shutdown())
	// No request is left to queue a seat: the writer commits what waits, then stops.
	s.closeSeats.Do(func() { close(s.seatOps) })
	<-s.seatsDone
	errs = append(errs, s.flushSeen(context.Background()))
	if s.stopChanges != nil {
		s.stopChanges()
	}
	s.outbox.stop()
	s.webhooks.stop()
	return errors.Join(errs...)
}

// healthz answers 200 when the database answers.
// GET /healthz
func (s *Server) healthz(c *fiber.Ctx) error {
	if err := s.db.Ping(c.UserContext()); err != nil {
		s.log.Error("health check failed", "error", err)
		return c.Status(http.StatusServiceUnavailable).SendString("database unavailable\n")
	}
	return c.SendString("ok\n")
}

// accessLog logs every request once, with its final status.
func (s *Server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	level, status := slog.LevelInfo, c.Response().StatusCode()
	s.observeRequest(c, status, time.Since(start))
	if status < 400 && isRoutine(c.Path()) {
		level = slog.LevelDebug
	}
	if s.log.Enabled(c.UserContext(), level) {
		s.log.Log(c.UserContext(), level, "request", "method", c.Method(), "path", loggedPath(c), "status", status,
			"duration", time.Since(start), "ip", clientIP(c), "request_id", requestID(c))
	}
	return nil
}

// isRoutine tells the requests that are the bulk of the traffic and say nothing while they
// succeed: device API calls, health checks (a load balancer's, or a load run's: one wrote
// 490 MB of log) and assets. Their successes are logged at Debug level only.
func isRoutine(path string) bool {
	return isDeviceAPI(path) || path == "/healthz" || strings.HasPrefix(path, "/assets/")
}

// securityHeaders forbids inline script, framing and MIME sniffing on every answer.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
	if s.cfg.secureCookies() {
		c.Set("Strict-Transport-Security", "max-age=31536000")
	}
	return c.Next()
}

// loggedPath is the path for the access log: the route's pattern when it has parameters, so that
// the tokens of invitation, reset and email-change links never reach the log.
func loggedPath(c *fiber.Ctx) string {
	if r := c.Route(); r != nil && strings.Contains(r.Path, ":") {
		return r.Path
	}
	return c.Path()
}

// refuseUnboundedBodies answers 415 to compressed and multipart bodies, which fasthttp would
// unpack whole, without a bound, when a handler reads a form field or the body. Only usage
// reports may be gzipped: their handler unpacks them through a bounded reader. Only the routes
// registered with routeUpload take multipart bodies (within the server's BodyLimit).
func (s *Server) refuseUnboundedBodies(c *fiber.Ctx) error {
	if enc := strings.TrimSpace(c.Get(fiber.HeaderContentEncoding)); enc != "" && !strings.EqualFold(enc, "identity") &&
		!(c.Method() == fiber.MethodPost && c.Path() == "/api/v1/usage") {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTED_MEDIA_TYPE",
			Message: "Compressed bodies are accepted by POST /api/v1/usage only: send this one uncompressed."}
	}
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), "multipart/") && !s.takesUploads(c) {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTED_MEDIA_TYPE",
			Message: "Send forms as application/x-www-form-urlencoded: nothing here takes file uploads."}
	}
	return c.Next()
}

// portalOnly applies a middleware of the portal's pages, passing API requests through.
func portalOnly(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if isAPI(c) {
			return c.Next()
		}
		return h(c)
	}
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals("requestid").(string)
	return id
}

// clientIP is the caller's address; behind a reverse proxy on the same machine, the address it forwards.
func clientIP(c *fiber.Ctx) string {
	remote := c.Context().RemoteIP()
	if remote.IsLoopback() {
		if fwd := c.Get(fiber.HeaderXForwardedFor); fwd != "" {
			if ip := net.ParseIP(lastListItem(fwd)); ip != nil {
				return ip.String()
			}
		}
	}
	return remote.String()
}

// lastListItem is the last entry of a comma-separated header: the one the nearest proxy added.
func lastListItem(s string) string {
	return strings.TrimSpace(s[strings.LastIndexByte(s, ',')+1:])
}
