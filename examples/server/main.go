// Command server is orfeas's HTTP service: upload an image, generate a closed, printable mesh
// from it in the background, follow its progress, download the model; plus mesh analysis,
// repair and simplification. It keeps the old service's API paths; see README.md for the routes.
//
//	go run ./examples/server -addr 127.0.0.1:5000 -data ./data
//
// Every flag has an environment variable (ORFEAS_ADDR, ORFEAS_DATA, ...), which a flag given on
// the command line overrides. On start-up the server prints one line on stdout,
//
//	listening on http://127.0.0.1:5000
//
// with the address actually bound (useful with -addr 127.0.0.1:0). SIGINT or SIGTERM stops it:
// it stops accepting connections and work, lets running generations finish until
// -shutdown-timeout, marks what is left as interrupted, and exits 0. A second signal during that
// wait exits at once with status 1 (jobs still running are then reported interrupted at the next
// start).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/orfeas3d/orfeas/examples/internal/cli"
	"github.com/orfeas3d/orfeas/examples/server/internal/service"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// settings are the parsed flags and environment.
type settings struct {
	addr                                                      string
	logFormat, logLevel                                       string
	shutdownTimeout                                           time.Duration
	readHeaderTimeout, readTimeout, writeTimeout, idleTimeout time.Duration
	cors                                                      string
	cfg                                                       service.Config
	models                                                    cli.ModelFlags
}

// envFlag is one setting: its flag name, environment variable and default.
type envFlag struct {
	name, env, def, usage string
}

var flags = []envFlag{
	{"addr", "ORFEAS_ADDR", "127.0.0.1:5000", "listen `address` (host:port; port 0 picks a free one)"},
	{"data", "ORFEAS_DATA", "./data", "data `folder` for job files and manifests"},
	{"backend", "ORFEAS_BACKEND", "auto", "compute backend: auto, cpu, cuda or hunyuan (with -hunyuan-url)"},
	{"hunyuan-url", "ORFEAS_HUNYUAN_URL", "", "Hunyuan3D-2 api_server base `URL` for -backend hunyuan"},
	{"hunyuan-async", "ORFEAS_HUNYUAN_ASYNC", "false", "hunyuan: use /send and /status instead of one long /generate"},
	{"hunyuan-texture", "ORFEAS_HUNYUAN_TEXTURE", "false", "hunyuan: ask the server for a textured model (slower)"},
	{"hunyuan-timeout", "ORFEAS_HUNYUAN_TIMEOUT", "10m", "hunyuan: deadline of one model"},
	{"hunyuan-header-timeout", "ORFEAS_HUNYUAN_HEADER_TIMEOUT", "5m", "hunyuan: bound on the wait for each answer's headers (negative: none)"},
	{"hunyuan-rest", "ORFEAS_HUNYUAN_REST", "lowest", "hunyuan: how the model stands on the bed: lowest or stable (the largest hull face under its centre of mass)"},
	{"txt2img-url", "ORFEAS_TXT2IMG_URL", "", "text-to-image service base `URL` for /api/text-to-image (none: 501)"},
	{"txt2img-api", "ORFEAS_TXT2IMG_API", "a1111", "text-to-image API: a1111 or openai"},
	{"txt2img-model", "ORFEAS_TXT2IMG_MODEL", "", "openai: the model to ask for"},
	{"txt2img-key-env", "ORFEAS_TXT2IMG_KEY_ENV", "OPENAI_API_KEY", "openai: the environment variable holding the bearer key"},
	{"segment-model", "ORFEAS_SEGMENT_MODEL", "", "subject segmentation ONNX model `path` for photos (IS-Net style; default: the built-in GrabCut)"},
	{"depth-model", "ORFEAS_DEPTH_MODEL", "", "depth ONNX model `path` for photo reliefs (Depth Anything V2 / MiDaS style)"},
	{"onnxruntime", "ORFEAS_ONNXRUNTIME_LIB", "", "ONNX Runtime library `path` for the models"},
	{"onnx-provider", "ORFEAS_ONNX_PROVIDER", "cpu", "ONNX execution provider: cpu, cuda or auto"},
	{"workers", "ORFEAS_WORKERS", "0", "generations run at once (0: GOMAXPROCS)"},
	{"queue", "ORFEAS_QUEUE", strconv.Itoa(service.DefaultQueueSize), "generations that may wait for a worker; beyond, 429"},
	{"retention", "ORFEAS_RETENTION", "24h", "how long a job's files are kept after its last change (negative: forever)"},
	{"cors-origins", "ORFEAS_CORS_ORIGINS", "*", "comma-separated origins allowed by CORS (* for any)"},
	{"rate-limit", "ORFEAS_RATE_LIMIT", strconv.Itoa(service.DefaultRateLimit), "POST requests per minute per client IP (0 or negative: no limit)"},
	{"rate-limit-loopback", "ORFEAS_RATE_LIMIT_LOOPBACK", "false", "rate-limit loopback clients too (set it when a proxy on this host forwards public traffic without -trust-proxy)"},
	{"trust-proxy", "ORFEAS_TRUST_PROXY", "false", "take the client IP from X-Forwarded-For (only behind a proxy that sets it)"},
	{"max-upload", "ORFEAS_MAX_UPLOAD", strconv.Itoa(service.DefaultMaxUploadBytes), "largest uploaded file in `bytes`"},
	{"max-json", "ORFEAS_MAX_JSON", strconv.Itoa(service.DefaultMaxJSONBytes), "largest JSON body in `bytes`"},
	{"max-batch-files", "ORFEAS_MAX_BATCH_FILES", strconv.Itoa(service.DefaultMaxBatchFiles), "most files in one batch-generate request"},
	{"max-mesh-faces", "ORFEAS_MAX_MESH_FACES", strconv.Itoa(service.DefaultMaxMeshFaces), "most faces of a mesh sent to /api/stl routes"},
	{"shutdown-timeout", "ORFEAS_SHUTDOWN_TIMEOUT", "30s", "how long running generations may finish after SIGINT/SIGTERM"},
	{"operation-timeout", "ORFEAS_OPERATION_TIMEOUT", service.DefaultOperationTimeout.String(), "deadline of every operation: a generation, a mesh analysis, repair or simplification, an upload's decoding"},
	{"decode-memory", "ORFEAS_DECODE_MEMORY", strconv.FormatInt(service.DefaultDecodeMemory, 10), "memory in `bytes` that the image decodes running at once may take together"},
	{"read-header-timeout", "ORFEAS_READ_HEADER_TIMEOUT", "10s", "HTTP server read header timeout"},
	{"read-timeout", "ORFEAS_READ_TIMEOUT", "2m", "HTTP server read timeout (whole request, uploads included)"},
	{"write-timeout", "ORFEAS_WRITE_TIMEOUT", "2m", "HTTP server write timeout (event streams extend it per event)"},
	{"idle-timeout", "ORFEAS_IDLE_TIMEOUT", "2m", "HTTP server keep-alive idle timeout"},
	{"log-format", "ORFEAS_LOG_FORMAT", "text", "log format on stderr: text or json"},
	{"log-level", "ORFEAS_LOG_LEVEL", "info", "log level: debug, info, warn, error (health checks log at debug)"},
	{"version", "ORFEAS_VERSION", "", "version reported by /api/health (default: from the build)"},
	{"nats", "ORFEAS_NATS", "", "NATS JetStream `URL` (nats-server >= 2.10): jobs, queue and files shared by every server on it (none: local)"},
	{"role", "ORFEAS_ROLE", "all", "with -nats: front (HTTP routes), worker (runs generations) or all"},
	{"nats-ack-wait", "ORFEAS_NATS_ACK_WAIT", "30s", "with -nats: how long a generation may miss its worker's heartbeats before another worker gets it"},
	{"nats-max-deliver", "ORFEAS_NATS_MAX_DELIVER", "5", "with -nats: deliveries a generation gets before it fails as a job no worker survives (a worker process checks it)"},
}

// testDelayEnv is for tests only (see service.Config.GenerateDelay): a duration each generation
// waits before it starts, so a test can kill the server mid-generation. It has no flag.
const testDelayEnv = "ORFEAS_TEST_GENERATE_DELAY"

// parse reads the flags, with defaults from the environment.
func parse(args []string, getenv func(string) string, stderr io.Writer) (*settings, error) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: server [flags]\n\norfeas HTTP service. Each flag's environment variable sets its default.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	vals := map[string]*string{}
	for _, f := range flags {
		def := f.def
		if v := getenv(f.env); v != "" {
			def = v
		}
		vals[f.name] = fs.String(f.name, def, f.usage+" ($"+f.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	var errs []error
	get := func(name string) string { return strings.TrimSpace(*vals[name]) }
	intv := func(name string) int {
		n, err := strconv.Atoi(get(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("-%s: %q is not an integer", name, get(name)))
		}
		return n
	}
	// int64v is intv for a byte count that may exceed a 32-bit int.
	int64v := func(name string) int64 {
		n, err := strconv.ParseInt(get(name), 10, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("-%s: %q is not an integer", name, get(name)))
		}
		return n
	}
	dur := func(name string) time.Duration {
		d, err := time.ParseDuration(get(name))
		if err != nil {
			errs = append(errs, fmt.Errorf("-%s: %q is not a duration (like 30s or 24h)", name, get(name)))
		}
		return d
	}
	s := &settings{
		addr:              get("addr"),
		logFormat:         get("log-format"),
		logLevel:          get("log-level"),
		shutdownTimeout:   dur("shutdown-timeout"),
		readHeaderTimeout: dur("read-header-timeout"),
		readTimeout:       dur("read-timeout"),
		writeTimeout:      dur("write-timeout"),
		idleTimeout:       dur("idle-timeout"),
	}
	// A zero timeout is no timeout: slow clients could then hold connections open for ever.
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"read-header-timeout", s.readHeaderTimeout}, {"read-timeout", s.readTimeout},
		{"write-timeout", s.writeTimeout}, {"idle-timeout", s.idleTimeout},
	} {
		if _, err := time.ParseDuration(get(t.name)); err == nil && t.d <= 0 {
			errs = append(errs, fmt.Errorf("-%s: %q, want a positive duration", t.name, get(t.name)))
		}
	}
	c := &s.cfg
	c.DataDir = get("data")
	c.Backend = get("backend")
	async, err := strconv.ParseBool(get("hunyuan-async"))
	if err != nil {
		errs = append(errs, fmt.Errorf("-hunyuan-async: %q is not a boolean", get("hunyuan-async")))
	}
	texture, err := strconv.ParseBool(get("hunyuan-texture"))
	if err != nil {
		errs = append(errs, fmt.Errorf("-hunyuan-texture: %q is not a boolean", get("hunyuan-texture")))
	}
	remote := cli.RemoteFlags{
		HunyuanURL: get("hunyuan-url"), HunyuanAsync: async, HunyuanTexture: texture,
		HunyuanTimeout: dur("hunyuan-timeout"), HunyuanHeaderTimeout: dur("hunyuan-header-timeout"),
		HunyuanRest: get("hunyuan-rest"), Txt2ImgURL: get("txt2img-url"),
		Txt2ImgAPI: get("txt2img-api"), Txt2ImgModel: get("txt2img-model"), Txt2ImgKeyEnv: get("txt2img-key-env"),
	}
	if gc, err := remote.Config(c.Backend); err != nil {
		errs = append(errs, err)
	} else {
		c.Hunyuan, c.TextImage = gc.Hunyuan, gc.TextImage
	}
	s.models = cli.ModelFlags{SegmentModel: get("segment-model"), DepthModel: get("depth-model"),
		Runtime: get("onnxruntime"), Provider: get("onnx-provider")}
	c.Workers = intv("workers")
	c.QueueSize = intv("queue")
	c.Retention = dur("retention")
	if c.Retention == 0 {
		errs = append(errs, errors.New("-retention: must not be 0"))
	}
	for _, o := range strings.Split(get("cors-origins"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	c.RateLimit = intv("rate-limit")
	if c.RateLimit <= 0 {
		c.RateLimit = -1 // the flag's 0 means off; the Config's 0 means the default
	}
	tp, err := strconv.ParseBool(get("trust-proxy"))
	if err != nil {
		errs = append(errs, fmt.Errorf("-trust-proxy: %q is not a boolean", get("trust-proxy")))
	}
	c.TrustProxy = tp
	if c.RateLimitLoopback, err = strconv.ParseBool(get("rate-limit-loopback")); err != nil {
		errs = append(errs, fmt.Errorf("-rate-limit-loopback: %q is not a boolean", get("rate-limit-loopback")))
	}
	c.MaxUploadBytes = int64(intv("max-upload"))
	c.MaxJSONBytes = int64(intv("max-json"))
	c.MaxBatchFiles = intv("max-batch-files")
	c.MaxMeshFaces = intv("max-mesh-faces")
	c.OperationTimeout = dur("operation-timeout")
	if _, err := time.ParseDuration(get("operation-timeout")); err == nil && c.OperationTimeout <= 0 {
		errs = append(errs, fmt.Errorf("-operation-timeout: %q, want a positive duration", get("operation-timeout")))
	}
	c.DecodeMemory = int64v("decode-memory")
	if c.DecodeMemory <= 0 {
		errs = append(errs, fmt.Errorf("-decode-memory: %q, want a positive number of bytes", get("decode-memory")))
	}
	c.Version = get("version")
	c.NATS, c.Role, c.AckWait = get("nats"), get("role"), dur("nats-ack-wait")
	if c.MaxDeliver = intv("nats-max-deliver"); c.MaxDeliver <= 0 {
		errs = append(errs, fmt.Errorf("-nats-max-deliver: %q, want a positive count", get("nats-max-deliver")))
	}
	if r := c.Role; r != service.RoleFront && r != service.RoleWorker && r != service.RoleAll {
		errs = append(errs, fmt.Errorf("-role: %q, want front, worker or all", r))
	}
	if v := getenv(testDelayEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not a duration", testDelayEnv, v))
		}
		c.GenerateDelay = d
	}
	if s.logFormat != "text" && s.logFormat != "json" {
		errs = append(errs, fmt.Errorf("-log-format: %q, want text or json", s.logFormat))
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(s.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("-log-level: %q, want debug, info, warn or error", s.logLevel))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// newHTTPServer is the server around h, with the timeouts of s.
func newHTTPServer(s *settings, h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.readHeaderTimeout,
		ReadTimeout:       s.readTimeout,
		WriteTimeout:      s.writeTimeout,
		IdleTimeout:       s.idleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog,
	}
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	s, err := parse(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "server: %v\n", err)
		return 2
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(s.logLevel))
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler = slog.NewTextHandler(stderr, hopts)
	if s.logFormat == "json" {
		h = slog.NewJSONHandler(stderr, hopts)
	}
	log := slog.New(h)
	s.cfg.Logger = log

	models, err := s.models.Open() // the sessions every generation shares
	if err != nil {
		fmt.Fprintf(stderr, "server: %v\n", err)
		return 2
	}
	defer models.Close()
	for _, n := range models.Notes {
		log.Info("model", "loaded", n)
	}
	s.cfg.Segmenter, s.cfg.Depth = models.Segmenter, models.Depth
	svc, err := service.New(s.cfg)
	if err != nil {
		log.Error("start", "error", err)
		return 1
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		log.Error("listen", "error", err)
		_ = svc.Shutdown(context.Background())
		return 1
	}
	srv := newHTTPServer(s, svc.Handler(), slog.NewLogLogger(h, slog.LevelWarn))
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	log.Info("listening", "addr", ln.Addr().String(), "backend", svc.Backend(), "data", s.cfg.DataDir, "nats", s.cfg.NATS, "role", s.cfg.Role)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sig)

	select {
	case err := <-serveErr:
		log.Error("serve", "error", err)
		_ = svc.Shutdown(context.Background())
		return 1
	case got := <-sig:
		log.Info("shutting down", "signal", got.String(), "timeout", s.shutdownTimeout.String())
	}
	go func() {
		got := <-sig
		log.Warn("second signal: stopping at once", "signal", got.String())
		os.Exit(1)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), s.shutdownTimeout)
	defer cancel()
	// Drain the generations while the listener stays open: new requests get 503
	// shutting_down (health, POST routes) or their answer (status, downloads, event streams,
	// which end when their jobs do), and connections are not kept alive. Only then stop
	// accepting connections.
	srv.SetKeepAlivesEnabled(false)
	code := 0
	if err := svc.Shutdown(ctx); err != nil {
		log.Warn("generations interrupted", "error", err)
	}
	// The streams and downloads still open get a few seconds to finish.
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	if err := srv.Shutdown(hctx); err != nil {
		log.Warn("connections closed before finishing", "error", err)
		srv.Close()
	}
	log.Info("stopped")
	return code
}
