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
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"camaug/api"
	"camaug/feedback"
	"camaug/internal/apperr"
	"camaug/internal/atomicfile"
	"camaug/internal/i18n"
	"camaug/internal/identity"
	"camaug/internal/notify"
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

Environment: CAMAUG_ADDR, CAMAUG_DATA_DIR, MONGODB_URI, CAMAUG_MONGODB_DATABASE,
CAMAUG_MONGODB_WRITE_CONCERN, CAMAUG_ADMIN_EMAIL, CAMAUG_ADMIN_PASSWORD, CAMAUG_KEY_SECRET,
CAMAUG_TRUSTED_PROXIES, CAMAUG_TILE_URL, CAMAUG_LOG_FORMAT (text or json), CAMAUG_SHUTDOWN_TIMEOUT,
CAMAUG_METRICS_ADDR (Prometheus /metrics listener, default 127.0.0.1:9090, "off" for none),
CAMAUG_HASH_MEMORY_MIB (memory password hashing may hold at once, default 96; 19 per hash),
CAMAUG_MAX_CONNS (connections served at once, default 4096), CAMAUG_MAX_CONNS_PER_ADDR (from one
client address, default 256; trusted proxies are exempt).
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
	LogFormat         string
	ShutdownTimeout   time.Duration
	AdminEmail        string
	AdminPassword     string
	KeySecret         string
	TrustedProxies    []string
	WebhookURL        string
	WebhookSecret     string
	TileURL           string
	HashMemoryMiB     int
	MaxConns          int
	MaxConnsPerAddr   int
	Open311           api.Open311Config
	Push              *notify.PushConfig // nil when push is off (push.go)
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
		MongoWriteConcern: or("CAMAUG_MONGODB_WRITE_CONCERN", "majority"),
		LogFormat:         or("CAMAUG_LOG_FORMAT", "text"),
		AdminEmail:        getenv("CAMAUG_ADMIN_EMAIL"),
		AdminPassword:     getenv("CAMAUG_ADMIN_PASSWORD"),
		KeySecret:         getenv("CAMAUG_KEY_SECRET"),
		WebhookURL:        getenv("CAMAUG_WEBHOOK_URL"),
		WebhookSecret:     getenv("CAMAUG_WEBHOOK_SECRET"),
		TileURL:           or("CAMAUG_TILE_URL", web.DefaultTileURL),
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
	d, err := time.ParseDuration(or("CAMAUG_SHUTDOWN_TIMEOUT", "15s"))
	if err != nil || d <= 0 {
		return cfg, fmt.Errorf("CAMAUG_SHUTDOWN_TIMEOUT: want a duration like 15s, got %q", getenv("CAMAUG_SHUTDOWN_TIMEOUT"))
	}
	cfg.ShutdownTimeout = d
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
	case "reindex":
		if len(rest) != 0 {
			return fmt.Errorf("usage: camaug reindex")
		}
		return reindex(ctx, cfg, stdout)
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
	Ratings() feedback.RatingStore
	Surveys() survey.Store
	Devices() identity.DeviceStore
	Ping(ctx context.Context) error
	Close() error
}

// openStore opens MongoDB when MONGODB_URI is set, else the embedded SQLite
// database in the data folder, and returns a description for the log.
func openStore(ctx context.Context, cfg config) (store, []any, error) {
	if cfg.MongoURI != "" {
		db, err := mongo.Open(ctx, cfg.MongoURI, mongo.Options{Database: cfg.MongoDatabase, WriteConcern: cfg.MongoWriteConcern})
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

	ref := feedback.NewReferenceService(st.Reference())
	if seeded, err := ref.SeedDefault(ctx); err != nil {
		return fmt.Errorf("seeding reference data: %w", err)
	} else if seeded {
		log.Info("empty store: loaded the built-in Cà Mau reference data")
	}
	if cur, err := ref.Snapshot(ctx); err == nil {
		// Deadlines in a missing or provisional year skip the wrong days.
		for _, w := range cur.Calendar.Warnings(time.Now()) {
			log.Warn("working calendar: " + w)
		}
	}
	ids, err := identityService(ctx, cfg, st, log)
	if err != nil {
		return err
	}
	if cfg.AdminEmail != "" {
		created, err := ids.EnsureAdmin(ctx, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return fmt.Errorf("creating the admin from CAMAUG_ADMIN_EMAIL: %s", describe(err))
		}
		if created {
			log.Info("created the admin account", "email", cfg.AdminEmail)
		}
	}
	reports := feedback.NewReportService(st.Reports(), st.Media(), st.Ratings(), ref, nil)
	surveyStore := st.Surveys()
	// On MongoDB a crash can leave a response stored but not yet counted;
	// its survey's counters are rebuilt at start.
	if r, ok := surveyStore.(interface {
		RepairPending(context.Context) (int, error)
	}); ok {
		if n, err := r.RepairPending(ctx); err != nil {
			log.Warn("repairing survey counters", "error", err)
		} else if n > 0 {
			log.Info("rebuilt the counters of surveys left uncounted by a crash", "surveys", n)
		}
	}
	surveys := survey.NewService(surveyStore, st.Ratings(), ref, nil)
	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	app := api.New(api.Config{Reference: ref, Identity: ids, Reports: reports, Surveys: surveys, Devices: &identity.Devices{Store: st.Devices()},
		Ready: st.Ping, Logger: log, TrustedProxies: cfg.TrustedProxies, Registry: registry, Open311: cfg.Open311})
	if _, err := web.Register(app, web.Config{Identity: ids, Reports: reports, Reference: ref, Surveys: surveys, TileURL: cfg.TileURL, Logger: log}); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	push, err := newPush(cfg.Push, st.Devices(), log) // push.go; nil when off
	if err != nil {
		return err
	}
	jobs, stopJobs := context.WithCancel(ctx)
	jobsDone := make(chan struct{})
	go func() {
		defer close(jobsDone)
		closeResolvedEvery(jobs, 10*time.Minute, reports, ids, log)
	}()
	var sender feedback.Sender = feedback.LogSender{Logger: log}
	if cfg.WebhookURL != "" {
		sender = &notify.Webhook{URL: cfg.WebhookURL, Secret: []byte(cfg.WebhookSecret)}
	}
	sender = withPush(sender, push)
	notifier := &feedback.Dispatcher{Store: st.Reports(), Sender: sender, Logger: log}
	notifyDone := make(chan struct{})
	go func() {
		defer close(notifyDone)
		notifier.Run(jobs, 5*time.Second)
	}()
	defer func() { stopJobs(); <-notifyDone }()
	defer func() { stopJobs(); <-jobsDone }() // before the store closes

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
		"openapi", "http://"+ln.Addr().String()+"/openapi.yaml", "metrics", metricsURL)
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

// closeResolvedEvery closes reports resolved long enough ago, at start and
// then every interval, until ctx ends. Several instances may run it: the
// workflow's compare-and-swap lets one close each report.
func closeResolvedEvery(ctx context.Context, interval time.Duration, reports *feedback.ReportService, ids *identity.Service, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
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
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
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
