// Package service is the HTTP service of examples/server: uploads, generations through a jobs
// registry, server-sent progress events, downloads, mesh analysis, repair and simplification,
// with job folders that survive a restart. The command in examples/server only reads its
// configuration and runs an http.Server around Service.Handler.
//
// Files: every job has one folder under Config.DataDir/jobs, named by the job's ID, which the
// server generates. The files in it have fixed names (upload.png, model.stl, model.obj,
// model.glb, model.ply, manifest.json) and are written to a temporary name, synced and renamed,
// so a half-written file is never served. manifest.json records the job's state after every
// change: on start-up, jobs that were queued or processing are marked failed ("interrupted"),
// and completed ones stay downloadable.
package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/semaphore"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/jobs"
	"github.com/orfeas3d/orfeas/textimage"
)

// Defaults for zero Config fields.
const (
	DefaultRetention      = 24 * time.Hour
	DefaultRateLimit      = 60 // POST requests per minute per client
	DefaultMaxUploadBytes = 50 << 20
	DefaultMaxJSONBytes   = 1 << 20
	DefaultMaxBatchFiles  = 50
	DefaultQueueSize      = 128
	DefaultMaxMeshFaces   = 5_000_000
	// DefaultOperationTimeout bounds every operation: a generation, a mesh repair, analysis or
	// simplification, an upload's decoding.
	DefaultOperationTimeout = 5 * time.Minute
	// DefaultDecodeMemory is the memory all image decodes running at once may take together,
	// as imagecheck.DecodeMemory estimates it from their headers.
	DefaultDecodeMemory int64 = 2 << 30
	// defaultProbeEvery is how often a full or read-only data folder is tried again.
	defaultProbeEvery = 5 * time.Second
)

// Config configures a Service. The zero value of every field but DataDir means its documented
// default.
type Config struct {
	// DataDir is the folder the service keeps its jobs in (created when missing). Required.
	DataDir string
	// Backend is the generator's backend: "auto" (default), "cpu", "cuda" or "hunyuan" (with
	// Hunyuan.URL).
	Backend string
	// Hunyuan configures the "hunyuan" backend (a Hunyuan3D-2 server).
	Hunyuan hunyuan.Options
	// TextImage, when set, is the provider /api/text-to-image uses; without one that route
	// answers 501.
	TextImage textimage.Provider
	// Segmenter and Depth, when set, are the generator's photo estimators (generator.Config).
	Segmenter generator.Segmenter
	Depth     generator.DepthEstimator
	// Workers is how many generations run at once (default: GOMAXPROCS).
	Workers int
	// QueueSize is how many generations may wait for a worker; beyond it generate-3d answers 429
	// (default DefaultQueueSize).
	QueueSize int
	// Retention is how long a job's files and record are kept after its last change (default
	// DefaultRetention). Negative keeps them forever.
	Retention time.Duration
	// CORSOrigins are the origins allowed to call the API from a browser: "*" (the default, when
	// empty) allows any.
	CORSOrigins []string
	// RateLimit is how many POST requests one client (IP address) may make per minute, as a token
	// bucket that holds a minute's worth (default DefaultRateLimit). Negative disables it.
	// Loopback clients (127.0.0.0/8, ::1) are exempt unless RateLimitLoopback is set: a person
	// using the studio page on their own machine, or a test suite, is never refused.
	RateLimit int
	// RateLimitLoopback applies the rate limit to loopback clients too. Set it (or TrustProxy,
	// which makes the client the forwarded address) when a proxy on the same host forwards
	// public traffic, else every client of that proxy is exempt.
	RateLimitLoopback bool
	// TrustProxy makes the client address the first X-Forwarded-For entry, for rate limiting and
	// logs. Only set it behind a proxy that sets that header.
	TrustProxy bool
	// MaxUploadBytes bounds an uploaded file (default 50 MiB); larger uploads get 413.
	MaxUploadBytes int64
	// MaxJSONBytes bounds a JSON request body (default 1 MiB).
	MaxJSONBytes int64
	// MaxBatchFiles bounds the files of one batch-generate request (default 50); the rest are
	// rejected.
	MaxBatchFiles int
	// MaxMeshFaces bounds the meshes the /api/stl routes accept (default 5,000,000 faces).
	MaxMeshFaces int
	// OperationTimeout is the deadline of every operation the service runs for a request: a
	// generation (from the moment it starts), a mesh analysis, repair or simplification, an
	// upload's decoding (default DefaultOperationTimeout). An operation past it stops and
	// answers 503 (a generation fails with a message that says so).
	OperationTimeout time.Duration
	// DecodeMemory is the memory, in bytes, that the image decodes running at once may take
	// together (default DefaultDecodeMemory, 2 GiB). Each decode reserves its estimate
	// (imagecheck.DecodeMemory, from the image's header) before it starts and waits, until
	// its request ends, while the budget is taken; one that alone exceeds the budget is refused
	// with 413.
	DecodeMemory int64
	// Logger receives the request logs and service events (default: discarded).
	Logger *slog.Logger
	// Version is reported by /api/health (default: the module version from the build info).
	Version string

	// NATS is the URL of a NATS JetStream system (nats-server 2.10 or later): with it, the jobs,
	// their generations and files live there, shared by every server on it, and DataDir is
	// only scratch space (see nats.go). Empty: everything is local (the default).
	NATS string
	// NATSConn, when set, is the connection to use instead of dialling NATS (an embedding
	// program's own, or an in-process server's); it stays the caller's to close.
	NATSConn *nats.Conn
	// Role is this server's part on NATS: RoleFront (the HTTP routes, submitting generations),
	// RoleWorker (running them) or RoleAll (both, the default).
	Role string
	// AckWait is how long a generation on NATS may go without its worker's heartbeat before it
	// is redelivered to another (default 30 s).
	AckWait time.Duration
	// MaxDeliver is how many deliveries a generation on NATS gets before it fails as a job that
	// no worker survives (default 5).
	MaxDeliver int

	// GenerateDelay is for tests only: each generation waits this long (honouring cancellation)
	// after entering the processing state and before it starts, so a test can observe or
	// interrupt a job mid-generation. Leave it zero in production.
	GenerateDelay time.Duration

	// fs is what job files are written through (tests inject failures); nil means the disk.
	fs fileStore
	// natsStorage is where NATS keeps the cluster state (tests use memory; default file).
	natsStorage jetstream.StorageType
	// probeEvery is how often a degraded data folder is tried again (default 5 s).
	probeEvery time.Duration
}

// Service is the HTTP service. Create it with New, serve Handler, and call Shutdown.
type Service struct {
	cfg       Config
	log       *slog.Logger
	root      string // DataDir/jobs
	gen       *generator.Generator
	reg       generations // the state machine of every generation (localGenerations by default)
	blobs     blobs       // the stored files routes serve (dirBlobs by default)
	cancelMu  sync.Mutex  // serialises cancel requests
	limiter   *rateLimiter
	metrics   *metrics
	meshSem   chan struct{}       // bounds concurrent mesh operations
	decodeMem *semaphore.Weighted // the decode memory budget, in bytes
	// decodeReserved is the part of the budget the decodes running now hold, for the metrics.
	decodeReserved atomic.Int64
	fs             fileStore
	storage        storageState // the data folder's health
	cl             *natsMode    // the NATS connection, nil in local mode
	handler        http.Handler
	mux            *http.ServeMux

	mu      sync.RWMutex
	entries map[string]*entry

	closing     atomic.Bool
	closeOnce   sync.Once
	closeErr    error
	stopJanitor chan struct{}
	janitorDone chan struct{}
}

// entry is one job in memory. m is its manifest, written to disk after each change while mu is
// held, so the file and the memory agree. While a generation is in flight, the registry owns its
// state and its hook (record) copies each change into m. Lock order: the registry's lock, then
// mu; nothing calls the registry with mu held.
type entry struct {
	mu      sync.Mutex
	m       manifest
	key     string // registry key of the latest generation, "" before the first
	removed bool   // retention removed the job; its folder is gone or going
	dirty   bool   // m differs from the manifest on disk: its write failed, and is retried
}

// New opens the data folder, loads the jobs a previous run left (see the package doc) and
// starts the generator and the job registry.
func New(cfg Config) (*Service, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("service: no data folder")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if len(cfg.CORSOrigins) == 0 {
		cfg.CORSOrigins = []string{"*"}
	}
	if cfg.RateLimit == 0 {
		cfg.RateLimit = DefaultRateLimit
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.MaxJSONBytes <= 0 {
		cfg.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if cfg.MaxBatchFiles <= 0 {
		cfg.MaxBatchFiles = DefaultMaxBatchFiles
	}
	if cfg.MaxMeshFaces <= 0 {
		cfg.MaxMeshFaces = DefaultMaxMeshFaces
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Version == "" {
		cfg.Version = buildVersion()
	}
	if cfg.OperationTimeout <= 0 {
		cfg.OperationTimeout = DefaultOperationTimeout
	}
	if cfg.DecodeMemory <= 0 {
		cfg.DecodeMemory = DefaultDecodeMemory
	}
	if cfg.fs == nil {
		cfg.fs = diskStore{}
	}
	if cfg.probeEvery <= 0 {
		cfg.probeEvery = defaultProbeEvery
	}

	root := filepath.Join(cfg.DataDir, "jobs")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("service: data folder: %w", err)
	}
	ld, err := loadJobs(cfg.fs, root, time.Now())
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	gen, err := generator.New(generator.Config{Backend: cfg.Backend, Hunyuan: cfg.Hunyuan, TextImage: cfg.TextImage,
		Segmenter: cfg.Segmenter, Depth: cfg.Depth})
	if err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	s := &Service{
		cfg:         cfg,
		log:         cfg.Logger,
		root:        root,
		gen:         gen,
		metrics:     newMetrics(),
		meshSem:     make(chan struct{}, cfg.Workers),
		decodeMem:   semaphore.NewWeighted(cfg.DecodeMemory),
		fs:          cfg.fs,
		entries:     make(map[string]*entry, len(ld.jobs)),
		stopJanitor: make(chan struct{}),
		janitorDone: make(chan struct{}),
	}
	if cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(cfg.RateLimit, time.Minute)
	}
	for _, m := range ld.jobs {
		e := &entry{m: *m}
		if err, ok := ld.unwritten[m.ID]; ok {
			// Start anyway, serving what is on disk: the corrected manifest is written once
			// the folder takes writes again (probe).
			e.dirty = true
			s.storage.note(err)
			s.log.Error("manifest not written", "job_id", m.ID, "error", err)
		}
		s.entries[m.ID] = e
	}
	if p, reason := s.storage.get(); p != "" {
		s.log.Error("data folder degraded: starting anyway; POST routes that store answer 507 or 503 until it recovers", "reason", reason)
	}
	for _, err := range ld.skipped {
		s.log.Warn("job folder skipped", "error", err)
	}
	s.log.Info("jobs loaded", "jobs", len(ld.jobs), "interrupted", ld.interrupted, "removed_incomplete", ld.removed, "skipped", len(ld.skipped))
	s.reg = localGenerations{
		reg: jobs.New[generated](jobs.Options{
			Workers:   cfg.Workers,
			QueueSize: cfg.QueueSize,
			Retain:    time.Minute, // terminal states live on in the manifests
		}),
		run: s.run,
	}
	s.blobs = dirBlobs{root: root}
	if cfg.NATS != "" || cfg.NATSConn != nil {
		if s.cl, err = openNATS(&s.cfg); err != nil {
			_ = s.reg.Close(context.Background())
			_ = gen.Close()
			return nil, err
		}
		_ = s.reg.Close(context.Background()) // the local registry is not used on NATS
		g := &natsGenerations{s: s, c: s.cl.c, drain: make(chan struct{})}
		if s.cl.worker() {
			g.startWorkers(cfg.Workers)
		}
		s.reg, s.blobs = g, natsBlobs{s.cl.c}
	}
	s.handler = s.routes()
	if s.cl != nil && !s.cl.front() {
		s.handler = workerRoutes(s.handler)
	}
	go s.janitor()
	return s, nil
}

// buildVersion is the main module's version from the build info, or "devel".
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// Handler returns the service's HTTP handler: the API routes with CORS, rate limiting, request
// IDs, logs and metrics around them.
func (s *Service) Handler() http.Handler { return s.handler }

// Backend returns the name of the generator's backend ("cpu", "cuda").
func (s *Service) Backend() string { return s.gen.Backend() }

// Shutdown stops accepting work (POST routes answer 503), lets queued and running generations
// finish until ctx ends, then cancels what is left and marks it failed ("interrupted") in its
// manifest, and releases the generator. It returns nil when everything finished, or an error
// wrapping ctx's error. Calling it again returns the first call's result once that completes.
func (s *Service) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		// Close cancels what is left when ctx ends; the hooks record those jobs as failed
		// ("interrupted") before it returns.
		err := s.reg.Close(ctx)
		close(s.stopJanitor)
		<-s.janitorDone
		if s.cl != nil {
			s.cl.close()
		}
		if cerr := s.gen.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("service: close generator: %w", cerr)
		}
		s.closeErr = err
	})
	return s.closeErr
}

// snapshotEntries returns the entries, in no particular order.
func (s *Service) snapshotEntries() []*entry {
	if s.cl != nil {
		return s.natsEntries()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*entry, 0, len(s.entries))
	for _, e := range s.entries {
		out = append(out, e)
	}
	return out
}

// lookup returns the entry of a job ID already checked with validID, or nil.
func (s *Service) lookup(id string) *entry {
	if s.cl != nil {
		if s.clusterDown() {
			return nil // at once: a request to a connection that is down waits for it
		}
		ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
		defer cancel()
		return s.natsEntry(ctx, id)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.entries[id]
}

// jobDir is the folder of a job ID already checked with validID.
func (s *Service) jobDir(id string) string { return filepath.Join(s.root, id) }

// persist writes e's manifest; called with e.mu held. A failure is logged, recorded in the
// data folder's health and returned: the job goes on in memory, marked dirty so that the
// manifest is written again once the folder takes writes, and a restart before that sees the
// previous manifest.
func (s *Service) persist(e *entry) error {
	var err error
	if s.cl != nil {
		err = s.persistNATS(e)
	} else {
		err = writeManifestTo(s.fs, s.jobDir(e.m.ID), &e.m)
	}
	if err != nil {
		e.dirty = true
		s.storage.note(err)
		s.log.Error("manifest not written", "job_id", e.m.ID, "error", err)
		return err
	}
	e.dirty = false
	return nil
}

// newJob creates a job folder with a fresh ID, lets fill write its files into it, then writes
// the manifest and registers the job. On failure the folder is removed.
func (s *Service) newJob(m manifest, fill func(dir string) error) (*entry, error) {
	if s.cl != nil {
		return s.newNATSJob(m, fill)
	}
	var id, dir string
	for {
		id = jobs.NewID()
		dir = s.jobDir(id)
		err := s.fs.Mkdir(dir)
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) {
			s.storage.note(err)
			return nil, fmt.Errorf("create job folder: %w", err)
		}
	}
	now := time.Now()
	m.Version, m.ID, m.Created, m.Updated = manifestVersion, id, now, now
	e := &entry{m: m}
	if err := fill(dir); err != nil {
		s.storage.note(err)
		os.RemoveAll(dir)
		return nil, err
	}
	if err := writeManifestTo(s.fs, dir, &e.m); err != nil {
		s.storage.note(err)
		os.RemoveAll(dir)
		return nil, err
	}
	s.mu.Lock()
	s.entries[id] = e
	s.mu.Unlock()
	return e, nil
}

// janitor removes expired jobs and idle rate-limit buckets until Shutdown.
func (s *Service) janitor() {
	defer close(s.janitorDone)
	every := time.Minute
	if r := s.cfg.Retention; r > 0 && r/8 < every {
		every = max(r/8, 10*time.Millisecond)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	probe := time.NewTicker(s.cfg.probeEvery)
	defer probe.Stop()
	for {
		select {
		case <-s.stopJanitor:
			return
		case <-probe.C:
			s.probe()
		case now := <-t.C:
			s.expire(now)
			if s.limiter != nil {
				s.limiter.sweep(now)
			}
		}
	}
}

// expire removes the jobs not in flight whose last change is older than the retention.
func (s *Service) expire(now time.Time) {
	if s.cfg.Retention < 0 {
		return
	}
	cutoff := now.Add(-s.cfg.Retention)
	if s.cl != nil {
		if s.cl.front() {
			s.expireNATS(cutoff)
		}
		return
	}
	var gone []string
	s.mu.Lock()
	for id, e := range s.entries {
		if !e.mu.TryLock() {
			continue // busy, so not idle: look again at the next sweep
		}
		if !inFlight(e.m.State) && e.m.Updated.Before(cutoff) {
			e.removed = true
			gone = append(gone, id)
		}
		e.mu.Unlock()
	}
	s.mu.Unlock()
	slices.Sort(gone)
	for _, id := range gone {
		if err := os.RemoveAll(s.jobDir(id)); err != nil {
			s.log.Error("expired job not removed", "job_id", id, "error", err)
		}
	}
	// Forgotten only once its folder is gone, so that a job that answers 404 has no files left.
	s.mu.Lock()
	for _, id := range gone {
		delete(s.entries, id)
	}
	s.mu.Unlock()
	if len(gone) > 0 {
		s.log.Info("expired jobs removed", "count", len(gone))
	}
}
