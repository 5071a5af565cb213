package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/orfeas3d/orfeas/examples/server/internal/natsjobs"
	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/jobs"
)

// The service on NATS JetStream (issue 19). Every front end and worker on one NATS system
// shares, through natsjobs:
//
//   - the generation records (natsjobs' KV bucket): the state machine of every generation, as
//     natsGenerations drives it;
//   - the job entries (natsjobs' entry bucket): each job's manifest, the same JSON the local
//     mode writes to manifest.json, written by the front end that changes it;
//   - the blobs (natsjobs' object store): uploads, models, previews and OBJ zips.
//
// A job's manifest says what its latest generation was when a front end last wrote it; the
// generation's record says what happened since. Every read overlays the record on the manifest
// (applyRecord), so any front end answers for any job and none has to follow a generation to
// its end: a front end that dies loses nothing. The worker that runs a generation writes only
// the record and the blobs.

// Roles of a server on NATS.
const (
	RoleFront  = "front"
	RoleWorker = "worker"
	RoleAll    = "all"
)

// natsTimeout bounds one request to NATS made outside a request's context.
const natsTimeout = 30 * time.Second

// natsMode is the connection of a service on NATS.
type natsMode struct {
	c    *natsjobs.Cluster
	nc   *nats.Conn
	own  bool // nc was dialled by New, and is closed by Shutdown
	role string
}

func (n *natsMode) front() bool  { return n.role != RoleWorker }
func (n *natsMode) worker() bool { return n.role != RoleFront }

// openNATS connects the service to cfg's NATS system and opens the cluster state on it.
func openNATS(cfg *Config) (*natsMode, error) {
	switch cfg.Role {
	case "":
		cfg.Role = RoleAll
	case RoleFront, RoleWorker, RoleAll:
	default:
		return nil, fmt.Errorf("service: role %q: want front, worker or all", cfg.Role)
	}
	n := &natsMode{nc: cfg.NATSConn, role: cfg.Role}
	if n.nc == nil {
		host, _ := os.Hostname()
		nc, err := nats.Connect(cfg.NATS, nats.Name(fmt.Sprintf("orfeas %s %s/%d", cfg.Role, host, os.Getpid())),
			nats.MaxReconnects(-1), nats.RetryOnFailedConnect(false))
		if err != nil {
			return nil, fmt.Errorf("service: connect to NATS at %s: %w", cfg.NATS, err)
		}
		n.nc, n.own = nc, true
	}
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	c, err := natsjobs.Open(ctx, n.nc, natsjobs.Config{
		QueueSize: cfg.QueueSize, AckWait: cfg.AckWait, MaxDeliver: cfg.MaxDeliver, Storage: cfg.natsStorage,
	})
	if err != nil {
		n.close()
		return nil, fmt.Errorf("service: %w", err)
	}
	n.c = c
	return n, nil
}

func (n *natsMode) close() {
	if n.own {
		n.nc.Close()
	}
}

// wireParams are a generation's parameters as its record carries them to the worker.
type wireParams struct {
	Ext          string  `json:"format"`
	Quality      string  `json:"quality"`
	QualityInput any     `json:"quality_input,omitempty"`
	Mode         string  `json:"mode"`
	Width        float64 `json:"width,omitempty"`
	Height       float64 `json:"height,omitempty"`
	Depth        float64 `json:"depth,omitempty"`
}

func wireOf(p genParams) wireParams {
	return wireParams{Ext: p.ext, Quality: string(p.quality), QualityInput: p.qualityInput, Mode: string(p.mode), Width: p.width, Height: p.height, Depth: p.depth}
}

// params checks w again (a worker trusts no message) and returns its genParams.
func (w wireParams) params() (genParams, error) {
	ext, format, err := parseFormat(w.Ext)
	if err != nil {
		return genParams{}, err
	}
	return genParams{
		ext: ext, format: format, quality: generator.Quality(w.Quality), qualityInput: w.QualityInput,
		mode: generator.Mode(w.Mode), width: w.Width, height: w.Height, depth: w.Depth,
	}, nil
}

// generationKeyOf is the key of generation gen of job id in the snapshots natsGenerations makes.
func generationKeyOf(id string, gen int) string { return fmt.Sprintf("%s#%d", id, gen) }

// applyRecord overlays generation record rec of m's job on m: the state, error and report of
// its latest generation, and its model once completed.
func applyRecord(m *manifest, rec natsjobs.Record) {
	if rec.Gen == 0 || rec.Gen < m.Gen {
		return
	}
	var w wireParams
	_ = json.Unmarshal(rec.Params, &w)
	if rec.Gen > m.Gen { // a generation this manifest was written before
		m.Gen = rec.Gen
		m.Error, m.ErrorCode, m.Report, m.Seconds = "", "", nil, 0
		m.Format, m.Quality, m.Mode = w.Ext, w.Quality, w.Mode
	}
	took := 0.0
	if !rec.Started.IsZero() {
		took = rec.Updated.Sub(rec.Started).Seconds()
	}
	switch rec.State {
	case natsjobs.StateQueued, natsjobs.StateProcessing:
		m.State = rec.State
	case natsjobs.StateCompleted:
		m.State, m.Error, m.ErrorCode, m.Report, m.Seconds = stateCompleted, "", "", rec.Report, took
		m.Models = append([]string(nil), m.Models...)
		m.addModel(w.Ext)
	case natsjobs.StateFailed, natsjobs.StateCanceled:
		m.State, m.Error, m.ErrorCode = rec.State, rec.Error, rec.ErrorCode
		if took > 0 {
			m.Seconds = took
		}
	}
	if rec.Updated.After(m.Updated) {
		m.Updated = rec.Updated
	}
}

// natsEntry reads job id's manifest and overlays its generation's record: a fresh entry, or nil
// when there is no such job (or NATS cannot say).
func (s *Service) natsEntry(ctx context.Context, id string) *entry {
	doc, err := s.cl.c.Entry(ctx, id)
	if err != nil {
		return nil
	}
	var m manifest
	if json.Unmarshal(doc, &m) != nil || m.ID != id {
		return nil
	}
	if rec, err := s.cl.c.Get(ctx, id); err == nil {
		applyRecord(&m, rec)
	}
	e := &entry{m: m}
	if m.Gen > 0 {
		e.key = generationKeyOf(id, m.Gen)
	}
	return e
}

// refresh reads e's job again from NATS; a no-op in local mode, where e is the job.
func (s *Service) refresh(e *entry) {
	if s.cl == nil {
		return
	}
	e.mu.Lock()
	id := e.m.ID
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	if f := s.natsEntry(ctx, id); f != nil {
		e.mu.Lock()
		e.m, e.key = f.m, f.key
		e.mu.Unlock()
	}
}

// natsEntries reads every job of the cluster.
func (s *Service) natsEntries() []*entry {
	if s.clusterDown() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	ids, err := s.cl.c.EntryIDs(ctx)
	if err != nil {
		s.log.Warn("list jobs on NATS", "error", err)
		return nil
	}
	out := make([]*entry, 0, len(ids))
	for _, id := range ids {
		if e := s.natsEntry(ctx, id); e != nil {
			out = append(out, e)
		}
	}
	return out
}

// persistNATS writes e's manifest to the entry bucket; called with e.mu held.
func (s *Service) persistNATS(e *entry) error {
	data, err := json.Marshal(&e.m)
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	return s.cl.c.PutEntry(ctx, e.m.ID, data, false)
}

// newNATSJob is newJob on NATS: fill writes the job's files into a scratch folder, from which
// they go to the object store, under a fresh job ID whose entry is created first.
func (s *Service) newNATSJob(m manifest, fill func(dir string) error) (*entry, error) {
	if s.clusterDown() {
		return nil, errorf(http.StatusServiceUnavailable, errClusterDown)
	}
	dir, err := os.MkdirTemp(s.root, tempPrefix+"new")
	if err != nil {
		s.storage.note(err)
		return nil, fmt.Errorf("create job folder: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := fill(dir); err != nil {
		s.storage.note(err)
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	now := time.Now()
	m.Version, m.Created, m.Updated = manifestVersion, now, now
	for {
		m.ID = jobs.NewID()
		data, err := json.Marshal(&m)
		if err != nil {
			return nil, fmt.Errorf("encode manifest: %w", err)
		}
		err = s.cl.c.PutEntry(ctx, m.ID, data, true)
		if errors.Is(err, natsjobs.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store job: %w", err)
		}
		break
	}
	files, err := os.ReadDir(dir)
	if err == nil {
		for _, f := range files {
			if err = s.putFile(ctx, m.ID, dir, f.Name()); err != nil {
				break
			}
		}
	}
	if err != nil {
		_ = s.cl.c.DeleteJob(ctx, m.ID)
		return nil, fmt.Errorf("store job files: %w", err)
	}
	return &entry{m: m}, nil
}

// putFile stores dir/name as job id's blob name.
func (s *Service) putFile(ctx context.Context, id, dir, name string) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	defer f.Close()
	return s.cl.c.PutBlob(ctx, natsjobs.BlobName(id, name), f)
}

// expireNATS removes the cluster's jobs not in flight whose last change is older than cutoff:
// their records, manifests and blobs. Every front end sweeps; removing twice is harmless.
func (s *Service) expireNATS(cutoff time.Time) {
	gone := 0
	for _, e := range s.natsEntries() {
		if inFlight(e.m.State) || !e.m.Updated.Before(cutoff) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
		err := s.cl.c.DeleteJob(ctx, e.m.ID)
		cancel()
		if err != nil {
			s.log.Error("expired job not removed", "job_id", e.m.ID, "error", err)
			continue
		}
		gone++
	}
	if gone > 0 {
		s.log.Info("expired jobs removed", "count", gone)
	}
}

// natsGenerations is the generations of a service on NATS: Submit queues on the cluster's
// work queue; the workers of every server with the worker role run them. The state lives in
// the generation records, which reads overlay on the manifests (applyRecord), so the hook of
// Submit is not called.
type natsGenerations struct {
	s      *Service
	c      *natsjobs.Cluster
	closed atomic.Bool
	// The worker loops of this process: drain stops their pulling, stop their generations.
	drain chan struct{}
	stop  context.CancelFunc
	wg    sync.WaitGroup
}

// startWorkers runs n worker loops in this process.
func (g *natsGenerations) startWorkers(n int) {
	ctx, cancel := context.WithCancel(context.Background())
	g.stop = cancel
	host, _ := os.Hostname()
	for i := range n {
		name := fmt.Sprintf("%s-%d-%d", host, os.Getpid(), i)
		g.wg.Go(func() {
			if err := g.c.WorkDrain(ctx, g.drain, name, g.s.runNATS); err != nil {
				g.s.log.Error("worker stopped", "worker", name, "error", err)
			}
		})
	}
}

func (g *natsGenerations) Submit(id string, p genParams, _ func(jobs.Snapshot[generated])) error {
	if g.closed.Load() {
		return jobs.ErrClosed
	}
	params, err := json.Marshal(wireOf(p))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	_, err = g.c.Submit(ctx, id, params)
	switch {
	case errors.Is(err, natsjobs.ErrConflict):
		return fmt.Errorf("%w: %v", jobs.ErrJobConflict, err)
	case errors.Is(err, natsjobs.ErrQueueFull):
		return fmt.Errorf("%w: %v", jobs.ErrQueueFull, err)
	}
	return err
}

// cancelWait bounds how long Cancel waits for the worker running a generation to record it
// canceled.
const cancelWait = 10 * time.Second

// Cancel flags the generation for its worker (or ends it at once while queued) and waits until
// its record shows it ended.
func (g *natsGenerations) Cancel(id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cancelWait)
	defer cancel()
	r, err := g.c.Cancel(ctx, id)
	if errors.Is(err, natsjobs.ErrNotInFlight) || errors.Is(err, natsjobs.ErrNotFound) {
		return fmt.Errorf("%w: %v", jobs.ErrNotFound, err)
	}
	if err != nil || !r.InFlight() {
		return err
	}
	ch, err := g.c.Watch(ctx, id)
	if err != nil {
		return err
	}
	for range ch { // until the terminal record, or cancelWait
	}
	return nil
}

// snapshotOf is rec as the registry would describe it.
func snapshotOf(rec natsjobs.Record) jobs.Snapshot[generated] {
	sn := jobs.Snapshot[generated]{
		ID: rec.ID, Key: generationKeyOf(rec.ID, rec.Gen), Stage: rec.Stage, Fraction: rec.Fraction,
		Created: rec.Created, Started: rec.Started,
	}
	switch rec.State {
	case natsjobs.StateQueued:
		sn.State = jobs.Queued
	case natsjobs.StateProcessing:
		sn.State = jobs.Running
	case natsjobs.StateCompleted:
		sn.State, sn.Ended, sn.Fraction = jobs.Succeeded, rec.Updated, 1
	case natsjobs.StateFailed:
		sn.State, sn.Ended, sn.Err = jobs.Failed, rec.Updated, errors.New(rec.Error)
	default:
		sn.State, sn.Ended, sn.Err = jobs.Canceled, rec.Updated, jobs.ErrCanceled
	}
	return sn
}

func (g *natsGenerations) Get(id string) (jobs.Snapshot[generated], error) {
	ctx, cancel := context.WithTimeout(context.Background(), natsTimeout)
	defer cancel()
	rec, err := g.c.Get(ctx, id)
	if err != nil {
		return jobs.Snapshot[generated]{}, fmt.Errorf("%w: %v", jobs.ErrNotFound, err)
	}
	return snapshotOf(rec), nil
}

// Subscribe follows the generation's record with a KV watch: a state event for every change of
// state, a progress event for every progress write in between.
func (g *natsGenerations) Subscribe(id string) (<-chan jobs.Event[generated], func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	recs, err := g.c.Watch(ctx, id)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	out := make(chan jobs.Event[generated], 8)
	go func() {
		defer close(out)
		prev := ""
		for rec := range recs {
			kind := jobs.ProgressEvent
			if rec.State != prev {
				kind = jobs.StateEvent
			}
			prev = rec.State
			select {
			case out <- jobs.Event[generated]{Kind: kind, Job: snapshotOf(rec)}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, cancel, nil
}

func (g *natsGenerations) Stats() jobs.Stats {
	if g.s.clusterDown() {
		return jobs.Stats{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := g.c.Stats(ctx)
	if err != nil {
		return jobs.Stats{}
	}
	return jobs.Stats{Queued: st.Queued, Running: st.Running}
}

// Close stops taking generations: this process's workers stop pulling and finish what they run
// until ctx ends; then they stop, and what they ran is redelivered to other workers (nothing
// of the cluster's queue is lost, unlike the local registry's, whose jobs end interrupted).
func (g *natsGenerations) Close(ctx context.Context) error {
	if g.closed.Swap(true) || g.stop == nil {
		return nil
	}
	close(g.drain)
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("service: generations handed back to the queue: %w", ctx.Err())
	}
	g.stop()
	<-done
	return err
}

// codedError is a worker's failed generation: the message for the user (genErrorMessage) and
// its code, as the record carries them.
type codedError struct{ msg, code string }

func (e *codedError) Error() string     { return e.msg }
func (e *codedError) ErrorCode() string { return e.code }

// runNATS is a worker's generation of rec: run in a scratch folder, with the upload from the
// object store; the model preview and OBJ zip go to the object store, the model is returned
// for natsjobs to store (under a fixed name, so a redelivery replaces it) before it records
// the job completed.
func (s *Service) runNATS(ctx context.Context, rec natsjobs.Record, progress func(string, float64)) (natsjobs.Result, error) {
	var w wireParams
	if err := json.Unmarshal(rec.Params, &w); err != nil {
		return natsjobs.Result{}, &codedError{msg: "invalid generation parameters"}
	}
	p, err := w.params()
	if err != nil {
		return natsjobs.Result{}, &codedError{msg: err.Error()}
	}
	dir, err := os.MkdirTemp(s.root, tempPrefix+"work")
	if err != nil {
		return natsjobs.Result{}, err
	}
	defer os.RemoveAll(dir)
	// The generation metrics are this worker's, as the local service counts its own.
	start := time.Now()
	g, err := s.runIn(ctx, dir, rec.ID, p, progress)
	if err != nil {
		if ctx.Err() != nil && context.Cause(ctx) != errDeadline {
			s.metrics.generation(stateCanceled, time.Since(start))
			return natsjobs.Result{}, err
		}
		s.metrics.generation(stateFailed, time.Since(start))
		s.log.Warn("generation failed", "job_id", rec.ID, "error", err)
		return natsjobs.Result{}, &codedError{msg: genErrorMessage(err, false), code: errorCode(err)}
	}
	name := modelFile(p.ext)
	if err := g.model.Commit(name); err != nil {
		return natsjobs.Result{}, err
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return natsjobs.Result{}, err
	}
	for _, extra := range []string{modelPreviewFile, objZipFile} {
		if _, err := os.Stat(filepath.Join(dir, extra)); err == nil {
			if err := s.putFile(ctx, rec.ID, dir, extra); err != nil {
				return natsjobs.Result{}, err
			}
		}
	}
	s.metrics.generation(stateCompleted, time.Since(start))
	return natsjobs.Result{Name: name, Data: data, Report: g.report}, nil
}

// natsBlobs is the blobs of the cluster's object store. A blob is read whole into memory to be
// served with seeking (models are at most a few hundred MB).
type natsBlobs struct{ c *natsjobs.Cluster }

func (n natsBlobs) Open(ctx context.Context, id, name string) (blob, error) {
	b, err := n.c.OpenBlob(ctx, natsjobs.BlobName(id, name))
	if errors.Is(err, natsjobs.ErrNotFound) {
		return nil, fmt.Errorf("%w: %v", os.ErrNotExist, err)
	}
	if err != nil {
		return nil, err
	}
	defer b.Close()
	data, err := io.ReadAll(b)
	if err != nil {
		return nil, err
	}
	return memBlob{bytes.NewReader(data), b.ModTime}, nil
}

// memBlob is a blob read into memory.
type memBlob struct {
	*bytes.Reader
	mod time.Time
}

func (m memBlob) Close() error       { return nil }
func (m memBlob) ModTime() time.Time { return m.mod }

// writeClusterMetrics writes the cluster's gauges and this process's redeliveries. The
// generation counters and durations (orfeas_generations_total, …) are those of the generations
// this process's workers ran: a front end's are zero.
func (s *Service) writeClusterMetrics(w io.Writer) {
	up := 1
	if s.clusterDown() {
		up = 0
	}
	fmt.Fprintf(w, "# HELP orfeas_cluster_connected 1 while the NATS connection is up.\n# TYPE orfeas_cluster_connected gauge\norfeas_cluster_connected %d\n", up)
	if up == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := s.cl.c.Stats(ctx)
	if err != nil {
		return
	}
	fmt.Fprintf(w, "# HELP orfeas_cluster_queue_depth Generations waiting in the NATS work queue.\n# TYPE orfeas_cluster_queue_depth gauge\norfeas_cluster_queue_depth %d\n", st.Queued)
	fmt.Fprintf(w, "# HELP orfeas_cluster_in_flight Generations delivered to a worker and not yet acknowledged.\n# TYPE orfeas_cluster_in_flight gauge\norfeas_cluster_in_flight %d\n", st.Running)
	fmt.Fprintf(w, "# HELP orfeas_cluster_redelivering Generations in flight on a second or later delivery.\n# TYPE orfeas_cluster_redelivering gauge\norfeas_cluster_redelivering %d\n", st.Redelivering)
	fmt.Fprintf(w, "# HELP orfeas_cluster_workers Worker loops announced on the cluster.\n# TYPE orfeas_cluster_workers gauge\norfeas_cluster_workers %d\n", st.Workers)
	fmt.Fprintf(w, "# HELP orfeas_worker_redeliveries_total Generations this process's workers took on a redelivery.\n# TYPE orfeas_worker_redeliveries_total counter\norfeas_worker_redeliveries_total %d\n", s.cl.c.Redelivered())
}

// workerRoutes is the handler of a server with the worker role: its health and metrics; every
// other route is a front end's, and answers 404 saying so.
func workerRoutes(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/health" || r.URL.Path == "/metrics" {
			h.ServeHTTP(w, r)
			return
		}
		writeError(w, http.StatusNotFound, "this server is a worker (-role worker): send requests to a front end")
	})
}

// errClusterDown is the answer while the NATS connection is down (it reconnects on its own).
const errClusterDown = "the job store (NATS) is unreachable: retry shortly"

// clusterDown reports whether the service is on NATS and its connection is down.
func (s *Service) clusterDown() bool { return s.cl != nil && !s.cl.nc.IsConnected() }
