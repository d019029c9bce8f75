package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/apiclient"
	"camaug/internal/apperr"
	"camaug/internal/atomicfile"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/lease"
	"camaug/internal/media"
	"camaug/internal/notify"
	"camaug/internal/oidc"
	"camaug/internal/store/mongo"
	"camaug/internal/store/sqlite"
	"camaug/internal/web"
	"camaug/survey"
)

const usage = `Usage:
  camaug [serve] [--addr HOST:PORT] [--data-dir DIR]
  camaug export reference FILE.json    (FILE "-" writes to standard output)
  camaug import reference FILE.json
  camaug user add --role ROLE --email EMAIL [--name NAME] [--agency CODE]   (password on standard input)
  camaug keys rotate                    (new token signing key; old ones still verify)
  camaug reindex                        (rebuild every survey's counters from its stored responses)
  camaug healthcheck                    (exit 0 when the service on CAMAUG_ADDR answers /healthz: the container's check)
  camaug clients create|list|rotate|revoke   (API clients of other systems; "camaug clients" for details)
  camaug migrate --from sqlite:DIR --to mongodb://HOST/DATABASE [--force]   (copy the embedded store into MongoDB)
  camaug backup --out FILE.tar.gz [--data-dir DIR]   (embedded store: database and photos, while serving)
  camaug restore --from FILE.tar.gz --data-dir DIR [--force]

Environment: CAMAUG_ADDR, CAMAUG_DATA_DIR, MONGODB_URI, CAMAUG_MONGODB_DATABASE,
CAMAUG_MONGODB_WRITE_CONCERN, CAMAUG_MONGODB_ALLOW_WEAK_WRITES, CAMAUG_MONGODB_TIMEOUT (each operation's
deadline, default 5s), CAMAUG_ADMIN_EMAIL, CAMAUG_ADMIN_PASSWORD, CAMAUG_KEY_SECRET,
CAMAUG_TRUSTED_PROXIES, CAMAUG_TILE_URL, CAMAUG_LOG_FORMAT (text or json), CAMAUG_SHUTDOWN_TIMEOUT,
CAMAUG_METRICS_ADDR (Prometheus /metrics listener, default 127.0.0.1:9090, "off" for none),
CAMAUG_HASH_MEMORY_MIB (memory password hashing may hold at once, default 96; 19 per hash),
CAMAUG_MAX_CONNS (connections served at once, default 4096), CAMAUG_MAX_CONNS_PER_ADDR (from one
client address, default 256; trusted proxies are exempt), CAMAUG_LEASE_TTL (term of the leases that let
one of several instances run each background job, default 30s; the same on every instance),
CAMAUG_PUBLIC_CACHE_TTL (how long a public feed or GeoJSON answer is served again, default 1s,
0 for never; another instance's writes show after at most this long),
CAMAUG_MEDIA_S3_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY, _REGION, _USE_SSL (photos in an
S3-compatible bucket; see README.md).
`

// defaultMetricsAddr serves /metrics on the loopback interface only, for a
// Prometheus on the same host (or a proxy that adds its own access control).
const defaultMetricsAddr = "127.0.0.1:9090"

// config is the service's configuration, from the environment and flags.
type config struct {
	Addr              string
	MetricsAddr       string // "" when off
	DataDir           string
	MongoURI          string
	MongoDatabase     string
	MongoWriteConcern string
	MongoWeakWrites   bool
	MongoTimeout      time.Duration
	// Log is the program's logger, for the store's start-up warnings.
	Log             *slog.Logger
	LogFormat       string
	ShutdownTimeout time.Duration
	AdminEmail      string
	AdminPassword   string
	KeySecret       string
	TrustedProxies  []string
	WebhookURL      string
	WebhookSecret   string
	TileURL         string
	HashMemoryMiB   int
	MaxConns        int
	MaxConnsPerAddr int
	LeaseTTL        time.Duration
	PublicCacheTTL  time.Duration
	Open311         api.Open311Config
	OIDC            oidc.Config        // zero when off
	MediaS3         *media.S3Config    // nil: photos in the store's default place
	Push            *notify.PushConfig // nil when push is off (push.go)
}

func loadConfig(getenv func(string) string) (config, error) {
	or := func(key, def string) string {
		if v := getenv(key); v != "" {
			return v
		}
		return def
	}
	cfg := config{
		Addr:              or("CAMAUG_ADDR", "127.0.0.1:8080"),
		MetricsAddr:       or("CAMAUG_METRICS_ADDR", defaultMetricsAddr),
		DataDir:           or("CAMAUG_DATA_DIR", "./data"),
		MongoURI:          getenv("MONGODB_URI"),
		MongoDatabase:     or("CAMAUG_MONGODB_DATABASE", "camaug"),
		MongoWriteConcern: getenv("CAMAUG_MONGODB_WRITE_CONCERN"),
		LogFormat:         or("CAMAUG_LOG_FORMAT", "text"),
		AdminEmail:        getenv("CAMAUG_ADMIN_EMAIL"),
		AdminPassword:     getenv("CAMAUG_ADMIN_PASSWORD"),
		KeySecret:         getenv("CAMAUG_KEY_SECRET"),
		WebhookURL:        getenv("CAMAUG_WEBHOOK_URL"),
		WebhookSecret:     getenv("CAMAUG_WEBHOOK_SECRET"),
		TileURL:           or("CAMAUG_TILE_URL", web.DefaultTileURL),
	}
	var err error
	if cfg.MediaS3, err = loadMediaS3(getenv); err != nil {
		return cfg, err
	}
	cfg.Open311.Jurisdiction = getenv("CAMAUG_OPEN311_JURISDICTION")
	for _, k := range strings.Split(getenv("CAMAUG_OPEN311_API_KEYS"), ",") {
		if k = strings.TrimSpace(k); k != "" {
			if len(k) < 16 {
				return cfg, fmt.Errorf("CAMAUG_OPEN311_API_KEYS: each key needs at least 16 characters")
			}
			cfg.Open311.APIKeys = append(cfg.Open311.APIKeys, k)
		}
	}
	for _, p := range strings.Split(getenv("CAMAUG_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}
	if cfg.MetricsAddr == "off" {
		cfg.MetricsAddr = ""
	}
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		return cfg, fmt.Errorf("CAMAUG_ADMIN_EMAIL and CAMAUG_ADMIN_PASSWORD go together: set both or neither")
	}
	if cfg.MongoURI != "" && cfg.KeySecret == "" {
		return cfg, fmt.Errorf("CAMAUG_KEY_SECRET is required with MONGODB_URI: it seals the token signing keys stored in the database, " +
			"and every instance must use the same one (a machine's ID differs per instance)")
	}
	switch v := getenv(mongo.AllowWeakWritesVar); v {
	case "", "false":
	case "true":
		cfg.MongoWeakWrites = true
	default:
		return cfg, fmt.Errorf("%s: want true or false, got %q", mongo.AllowWeakWritesVar, v)
	}
	if v := getenv("CAMAUG_MONGODB_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > 10*time.Minute {
			return cfg, fmt.Errorf("CAMAUG_MONGODB_TIMEOUT: want a duration from 100ms to 10m like 5s, got %q", v)
		}
		cfg.MongoTimeout = d
	}
	d, err := time.ParseDuration(or("CAMAUG_SHUTDOWN_TIMEOUT", "15s"))
	if err != nil || d <= 0 {
		return cfg, fmt.Errorf("CAMAUG_SHUTDOWN_TIMEOUT: want a duration like 15s, got %q", getenv("CAMAUG_SHUTDOWN_TIMEOUT"))
	}
	cfg.ShutdownTimeout = d
	if cfg.LeaseTTL, err = time.ParseDuration(or("CAMAUG_LEASE_TTL", lease.DefaultTTL.String())); err != nil ||
		cfg.LeaseTTL < time.Second || cfg.LeaseTTL > time.Hour {
		return cfg, fmt.Errorf("CAMAUG_LEASE_TTL: want a duration from 1s to 1h like 30s, got %q", getenv("CAMAUG_LEASE_TTL"))
	}
	if cfg.PublicCacheTTL, err = time.ParseDuration(or("CAMAUG_PUBLIC_CACHE_TTL", "1s")); err != nil ||
		cfg.PublicCacheTTL < 0 || cfg.PublicCacheTTL > time.Minute {
		return cfg, fmt.Errorf("CAMAUG_PUBLIC_CACHE_TTL: want a duration from 0 to 1m like 1s, got %q", getenv("CAMAUG_PUBLIC_CACHE_TTL"))
	}
	if cfg.WebhookURL != "" {
		u, err := url.Parse(cfg.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return cfg, fmt.Errorf("CAMAUG_WEBHOOK_URL: want an http(s) URL, got %q", cfg.WebhookURL)
		}
		if len(cfg.WebhookSecret) < 16 {
			return cfg, fmt.Errorf("CAMAUG_WEBHOOK_SECRET: the webhook needs a signing secret of at least 16 characters")
		}
	}
	if u, err := url.Parse(cfg.TileURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		!strings.Contains(cfg.TileURL, "{z}") || !strings.Contains(cfg.TileURL, "{x}") || !strings.Contains(cfg.TileURL, "{y}") {
		return cfg, fmt.Errorf("CAMAUG_TILE_URL: want an http(s) tile template with {z}, {x} and {y}, got %q", cfg.TileURL)
	}
	if v := getenv("CAMAUG_HASH_MEMORY_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < identity.HashMemoryMiB || n > 1<<20 {
			return cfg, fmt.Errorf("CAMAUG_HASH_MEMORY_MIB: want a number of MiB from %d (one hash) up, got %q", identity.HashMemoryMiB, v)
		}
		cfg.HashMemoryMiB = n
	}
	for _, v := range []struct {
		key string
		dst *int
		def int
	}{{"CAMAUG_MAX_CONNS", &cfg.MaxConns, api.DefaultMaxConns}, {"CAMAUG_MAX_CONNS_PER_ADDR", &cfg.MaxConnsPerAddr, api.DefaultMaxConnsPerAddr}} {
		*v.dst = v.def
		if s := getenv(v.key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 1<<20 {
				return cfg, fmt.Errorf("%s: want a positive number of connections, got %q", v.key, s)
			}
			*v.dst = n
		}
	}
	if cfg.Push, err = loadPush(getenv); err != nil {
		return cfg, err
	}
	if cfg.LogFormat != "text" && cfg.LogFormat != "json" {
		return cfg, fmt.Errorf("CAMAUG_LOG_FORMAT: want text or json, got %q", cfg.LogFormat)
	}
	if cfg.OIDC, err = oidc.ConfigFromEnv(getenv); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, nil)
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(stderr, nil)
	}
	log := slog.New(handler)
	cfg.Log = log

	cmd, rest := "serve", []string{}
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, rest, log)
	case "export", "import":
		if len(rest) != 2 || rest[0] != "reference" {
			return fmt.Errorf("usage: camaug %s reference FILE.json", cmd)
		}
		if cmd == "export" {
			return exportReference(ctx, cfg, rest[1], stdout)
		}
		return importReference(ctx, cfg, rest[1], stdout)
	case "user":
		if len(rest) < 1 || rest[0] != "add" {
			return fmt.Errorf("usage: camaug user add --role ROLE --email EMAIL [--name NAME] [--agency CODE]")
		}
		return addUser(ctx, cfg, rest[1:], stdin, stdout, log)
	case "keys":
		if len(rest) != 1 || rest[0] != "rotate" {
			return fmt.Errorf("usage: camaug keys rotate")
		}
		return rotateKeys(ctx, cfg, stdout, log)
	case "clients":
		return clientsCommand(ctx, cfg, rest, stdout)
	case "reindex":
		if len(rest) != 0 {
			return fmt.Errorf("usage: camaug reindex")
		}
		return reindex(ctx, cfg, stdout)
	case "healthcheck":
		if len(rest) != 0 {
			return fmt.Errorf("usage: camaug healthcheck")
		}
		return healthcheck(ctx, cfg.Addr, stdout)
	case "migrate":
		return migrate(ctx, cfg, rest, stdout)
	case "backup":
		return backup(ctx, cfg, rest, stdout)
	case "restore":
		return restore(ctx, cfg, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// store is what the program needs of either database.
type store interface {
	Reference() feedback.ReferenceStore
	Identity() identity.Store
	Reports() feedback.ReportStore
	Media() feedback.MediaStore
	MediaWith(media.Store) feedback.MediaStore
	Ratings() feedback.RatingStore
	Surveys() survey.Store
	Clients() apiclient.Store
	Deliveries() notify.DeliveryStore
	Leases() lease.Store
	Devices() identity.DeviceStore
	Ping(ctx context.Context) error
	Close() error
}

// openStore opens MongoDB when MONGODB_URI is set, else the embedded SQLite
// database in the data folder, and returns a description for the log.
func openStore(ctx context.Context, cfg config) (store, []any, error) {
	if cfg.MongoURI != "" {
		db, err := mongo.Open(ctx, cfg.MongoURI, mongo.Options{Database: cfg.MongoDatabase, WriteConcern: cfg.MongoWriteConcern,
			AllowWeakWrites: cfg.MongoWeakWrites, Timeout: cfg.MongoTimeout, Logger: cfg.Log})
		if err != nil {
			return nil, nil, err
		}
		return db, []any{"store", "mongodb", "uri", mongo.Redact(cfg.MongoURI), "database", db.Database()}, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("data folder: %w", err)
	}
	path, err := filepath.Abs(filepath.Join(cfg.DataDir, "camaug.db"))
	if err != nil {
		return nil, nil, err
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	return db, []any{"store", "sqlite", "path", path}, nil
}

func serve(ctx context.Context, cfg config, args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data folder (embedded database)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, desc, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	log.Info("store opened", desc...)

	// Several instances may share one MongoDB and start at the same moment:
	// each announces itself (a heartbeat) and then does the start-up work
	// under the "startup" lease, one instance after the other (see
	// startUp).
	runner := &lease.Runner{Store: st.Leases(), Owner: instanceID(), TTL: cfg.LeaseTTL, Logger: log}
	if err := st.Leases().Heartbeat(ctx, runner.Owner, time.Now().Add(cfg.LeaseTTL)); err != nil {
		return fmt.Errorf("registering this instance: %s", describe(err))
	}
	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		runner.Beat(beat)
	}()
	defer func() { stopBeat(); <-beatDone }()
	ref := feedback.NewReferenceService(st.Reference())
	var ids *identity.Service
	surveyStore := st.Surveys()
	err = runner.Do(ctx, leaseStartup, func(ctx context.Context) error {
		var err error
		ids, err = startUp(ctx, cfg, st, ref, runner, log)
		return err
	})
	if err != nil {
		return err
	}
	photos, mdesc, err := mediaStore(ctx, cfg, st)
	if err != nil {
		return err
	}
	log.Info("photos stored", mdesc...)
	reports := feedback.NewReportService(st.Reports(), photos, st.Ratings(), ref, nil)
	surveys := survey.NewService(surveyStore, st.Ratings(), ref, nil)
	surveys.SetVerifier(ids.IsVerified) // the verified channel (issue 19)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	rp, err := oidc.New(cfg.OIDC)
	if err != nil {
		return err
	}
	if rp.Enabled() {
		log.Info("sign-in with the province's accounts (OpenID Connect) is on", "issuer", cfg.OIDC.Issuer)
		go func() { // early, so the first sign-in need not wait; failures are retried on use
			if err := rp.Discover(ctx); err != nil {
				log.Warn("oidc provider not reachable yet", "error", err)
			}
		}()
	}
	clients := &apiclient.Service{Store: st.Clients()}
	app := api.New(api.Config{Reference: ref, Identity: ids, Reports: reports, Surveys: surveys, Devices: &identity.Devices{Store: st.Devices()},
		Ready: st.Ping, Logger: log, TrustedProxies: cfg.TrustedProxies, Registry: registry, Open311: cfg.Open311, OIDC: rp,
		Clients: clients, PublicCacheTTL: cfg.PublicCacheTTL})
	if err := seedVerifiedACRs(ctx, cfg.OIDC, ids); err != nil { // oidc_console.go
		return err
	}
	if _, err := web.Register(app, web.Config{Identity: ids, Reports: reports, Reference: ref, Surveys: surveys, TileURL: cfg.TileURL, Logger: log, Clients: clients, OIDC: rp}); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	push, err := newPush(cfg.Push, st.Devices(), log) // push.go; nil when off
	if err != nil {
		return err
	}
	// Background jobs run on one instance at a time, each under its lease.
	jobs, stopJobs := context.WithCancel(ctx)
	// Removing expired documents is harmless on several instances at once.
	go sweepExpiredEvery(jobs, 10*time.Minute, st, log)
	// Every notification goes to each matching destination: the API
	// clients' webhook subscriptions, and CAMAUG_WEBHOOK_URL (everything,
	// under the bare notification ID as before) or else the log.
	sender := &notify.Fanout{Store: st.Deliveries(), Logger: log, More: notify.ClientDestinations(st.Clients(), nil)}
	if cfg.WebhookURL != "" {
		sender.Add("", nil, &notify.Webhook{URL: cfg.WebhookURL, Secret: []byte(cfg.WebhookSecret)})
	} else {
		sender.Add("log", nil, feedback.LogSender{Logger: log})
	}
	if push != nil {
		// Reporters' phones, as a destination of its own: a retry after a
		// webhook failed does not push the same change again.
		sender.Add("push", notify.ForParty(feedback.PartyReporter), push)
	}
	// A claimed notification stays hidden from other dispatchers for two
	// lease terms: longer than the claimer may still be sending it, as a
	// job's context ends with the terms its instance holds (lease.Runner).
	notifier := &feedback.Dispatcher{Store: st.Reports(), Sender: sender, Logger: log, Lease: 2 * cfg.LeaseTTL}
	var wg sync.WaitGroup
	for _, job := range []struct {
		lease string
		every time.Duration
		run   func(context.Context) error
	}{
		{leaseOutbox, 5 * time.Second, func(ctx context.Context) error { _, _, err := notifier.RunOnce(ctx); return err }},
		{leaseMaintenance, 10 * time.Minute, func(ctx context.Context) error { maintain(ctx, reports, ids, st.Leases(), log); return nil }},
		{leaseSurveyRepair, 10 * time.Minute, func(ctx context.Context) error { repairSurveyCounters(ctx, surveyStore, runner, log); return nil }},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runner.Run(jobs, job.lease, job.every, job.run)
		}()
	}
	defer func() { stopJobs(); wg.Wait() }() // before the store closes

	// /metrics is on a listener of its own, never the public one.
	metricsURL := "off"
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener (CAMAUG_METRICS_ADDR, or \"off\" for none): %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
		metricsSrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
			WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second}
		metricsURL = "http://" + mln.Addr().String() + "/metrics"
		metricsDone := make(chan struct{})
		go func() {
			defer close(metricsDone)
			if err := metricsSrv.Serve(mln); !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics listener stopped", "error", err)
			}
		}()
		defer func() {
			metricsSrv.Close()
			<-metricsDone
		}()
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	ln = api.LimitListener(ln, api.ConnLimits{Max: cfg.MaxConns, PerAddr: cfg.MaxConnsPerAddr, TrustedProxies: cfg.TrustedProxies})
	console := "http://" + ln.Addr().String() + "/console/"
	log.Info("listening", "addr", ln.Addr().String(), "console", console,
		"openapi", "http://"+ln.Addr().String()+"/openapi.yaml", "docs", "http://"+ln.Addr().String()+"/docs", "metrics", metricsURL)
	if n, err := st.Identity().CountActiveAdmins(ctx); err == nil && n == 0 {
		log.Warn("no admin account yet: to sign in at "+console+", restart once with CAMAUG_ADMIN_EMAIL and CAMAUG_ADMIN_PASSWORD (or run camaug user add --role admin)",
			"console", console)
	} else {
		log.Info("staff sign in at "+console, "console", console)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: no new connections, finishing requests in flight", "timeout", cfg.ShutdownTimeout.String())
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		log.Warn("shutdown timed out; requests still in flight were cut", "error", err)
	}
	<-served
	log.Info("stopped")
	return nil
}

func exportReference(ctx context.Context, cfg config, file string, stdout io.Writer) error {
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := feedback.NewReferenceService(st.Reference())
	// A store no server has run on yet exports what a server would serve.
	if _, err := svc.SeedDefault(ctx); err != nil {
		return err
	}
	ref, err := svc.Export(ctx)
	if err != nil {
		return err
	}
	data, err := ref.MarshalIndent()
	if err != nil {
		return err
	}
	if file == "-" {
		_, err := stdout.Write(data)
		return err
	}
	if err := atomicfile.Write(file, data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "exported %s to %s\n", ref.Counts(), file)
	return nil
}

func importReference(ctx context.Context, cfg config, file string, stdout io.Writer) error {
	var in io.Reader = os.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	ref, err := feedback.DecodeReference(data)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was changed", file, err)
	}
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := feedback.NewReferenceService(st.Reference()).Import(ctx, ref); err != nil {
		return fmt.Errorf("%s refused, nothing was changed:\n%s", file, describe(err))
	}
	fmt.Fprintf(stdout, "imported %s from %s\n", ref.Counts(), file)
	return nil
}

// describe renders an error for an operator: the message and, for
// validation errors, one line per problem.
func describe(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return "  " + err.Error()
	}
	var b strings.Builder
	b.WriteString("  " + ae.Message.In(i18n.EN))
	for _, f := range ae.Fields {
		fmt.Fprintf(&b, "\n  - %s: %s", f.Field, f.Message.In(i18n.EN))
	}
	if ae.Code == apperr.EINTERNAL && ae.Err != nil {
		b.WriteString(": " + ae.Err.Error())
	}
	return b.String()
}

// maintain closes reports resolved long enough ago and removes ended
// sessions, rate-limit windows, old claims and heartbeats. It runs under leaseMaintenance, on one
// instance at a time; the workflow's compare-and-swap would let only one
// close each report anyway.
func maintain(ctx context.Context, reports *feedback.ReportService, ids *identity.Service, leases lease.Store, log *slog.Logger) {
	if n, err := reports.CloseResolved(ctx); err != nil && ctx.Err() == nil {
		log.Warn("closing resolved reports", "error", err)
	} else if n > 0 {
		log.Info("closed resolved reports", "count", n)
	}
	// Ended console sessions are refused on read; this only frees space.
	if _, err := ids.SweepSessions(ctx); err != nil && ctx.Err() == nil {
		log.Warn("removing expired console sessions", "error", err)
	}
	// Rate-limit counts are only read for the current window; this
	// removes the ended ones so they do not pile up.
	if _, err := ids.SweepAttempts(ctx); err != nil && ctx.Err() == nil {
		log.Warn("removing ended rate-limit windows", "error", err)
	}
	// Delivery claims of a day ago are settled; heartbeats that ended a day
	// ago are of instances that died.
	if _, err := leases.Sweep(ctx, time.Now().Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
		log.Warn("removing old delivery claims and heartbeats", "error", err)
	}
	// Exchanged provider tokens are remembered only until they expire.
	if _, err := ids.ForgetExchangedTokens(ctx); err != nil && ctx.Err() == nil {
		log.Warn("removing expired exchanged-token memories", "error", err)
	}
}

// reindex rebuilds every survey's counters from the stored responses.
func reindex(ctx context.Context, cfg config, stdout io.Writer) error {
	st, _, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	ref := feedback.NewReferenceService(st.Reference())
	started := time.Now()
	surveys, responses, err := survey.NewService(st.Surveys(), st.Ratings(), ref, nil).Reindex(ctx)
	if err != nil {
		return fmt.Errorf("reindex: %s", describe(err))
	}
	if r, ok := st.Ratings().(interface{ RebuildTally(context.Context) error }); ok {
		if err := r.RebuildTally(ctx); err != nil {
			return fmt.Errorf("reindex: rating tally: %s", describe(err))
		}
	}
	fmt.Fprintf(stdout, "rebuilt the counters of %d surveys from %d responses in %s\n", surveys, responses, time.Since(started).Round(time.Millisecond))
	return nil
}
