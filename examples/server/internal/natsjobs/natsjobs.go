// Package natsjobs runs the example server's generations on NATS JetStream, so that front ends
// and workers on different machines share one job state and one queue (issue 19). It knows
// nothing of HTTP nor of the generator: the service adapts it to its own seams.
//
// What lives where, all under Config.Prefix (default "ORFEAS"):
//
//   - KV bucket PREFIX_jobs: one Record per job ID, the job's state. KV Create on a new ID and a
//     revision-checked Update on an existing one make "one generation in flight per job" hold
//     across the cluster: a second Submit while queued or processing is ErrConflict (HTTP 409).
//     A KV watch on the key is the progress stream (SSE), and the cancel flag reaches the worker.
//   - Stream PREFIX_queue (subject PREFIX.queue, work-queue retention, at most QueueSize
//     messages, new ones refused beyond it: ErrQueueFull, HTTP 429): one message per generation,
//     its message ID the job ID and generation number, so a retried publish is stored once.
//     Workers pull from the durable consumer "workers" with explicit acks, an ack wait, and
//     InProgress heartbeats while they run: a worker that dies stops heartbeating and the job is
//     redelivered to another after AckWait (at-least-once; a worker skips a generation its
//     Record already shows ended, so a job completes once).
//   - Object store PREFIX_blobs: uploads and models, named "<job id>/<file name>". A worker
//     stores a generation's model under a fixed name before it records the job completed, so a
//     redelivered generation replaces the object rather than adding one: one model per job.
//   - KV bucket PREFIX_entries: one document per job that the submitter keeps beside the
//     record (the service's manifest: the upload's description, the models of earlier
//     generations), opaque to this package, so that any front end can answer for any job.
//   - KV bucket PREFIX_workers: one key per running worker, refreshed every few seconds and
//     expiring when it stops, for the worker count.
//
// It works with nats-server 2.10 and later; 2.9 lacks nothing it uses but is not tested.
package natsjobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors a caller branches on.
var (
	// ErrConflict: a generation of that job is queued or processing somewhere in the cluster.
	ErrConflict = errors.New("natsjobs: generation already in progress")
	// ErrQueueFull: the queue stream holds QueueSize generations.
	ErrQueueFull = errors.New("natsjobs: queue full")
	// ErrNotFound: no record (or blob) of that name.
	ErrNotFound = errors.New("natsjobs: not found")
	// ErrNotInFlight: Cancel of a job that is not queued or processing.
	ErrNotInFlight = errors.New("natsjobs: job not in flight")
)

// Job states, as the HTTP API names them.
const (
	StateQueued     = "queued"
	StateProcessing = "processing"
	StateCompleted  = "completed"
	StateFailed     = "failed"
	StateCanceled   = "canceled"
)

// Record is one job's state in the KV bucket.
type Record struct {
	ID string `json:"id"`
	// Gen numbers the job's generations from 1; the queue message names the one it runs.
	Gen   int    `json:"gen"`
	State string `json:"state"`
	// Params is the submitter's description of the work, opaque to this package.
	Params   json.RawMessage `json:"params,omitempty"`
	Stage    string          `json:"stage,omitempty"`
	Fraction float64         `json:"fraction,omitempty"`
	Error    string          `json:"error,omitempty"`
	// ErrorCode is the machine-readable kind of Error, when the run's error had one (see
	// CodedError).
	ErrorCode string `json:"error_code,omitempty"`
	// Blob is the object name of the result (Worker's Result.Name), once completed.
	Blob string `json:"blob,omitempty"`
	// Report is the worker's report of the result, opaque to this package.
	Report json.RawMessage `json:"report,omitempty"`
	// Cancel is set by Cancel while the job is processing; the worker running it then stops.
	Cancel bool `json:"cancel,omitempty"`
	// Seq is the queue message's stream sequence, once known: a cancel of a queued job
	// removes it, so that it no longer takes room in the queue.
	Seq uint64 `json:"seq,omitempty"`
	// Worker names the worker that ran (or runs) it; Deliveries counts the deliveries so far.
	Worker     string    `json:"worker,omitempty"`
	Deliveries int       `json:"deliveries,omitempty"`
	Created    time.Time `json:"created"`
	Started    time.Time `json:"started,omitzero"`
	Updated    time.Time `json:"updated"`
}

// InFlight reports whether the record is queued or processing.
func (r *Record) InFlight() bool { return r.State == StateQueued || r.State == StateProcessing }

// Config configures a Cluster. The zero value of every field means its default.
type Config struct {
	// Prefix names the bucket, stream and object store (default "ORFEAS").
	Prefix string
	// QueueSize bounds the generations waiting for a worker, as the local service's does
	// (default 128); beyond it Submit returns ErrQueueFull.
	QueueSize int
	// MaxRunning bounds the generations delivered to workers at once, across the cluster
	// (default 1024). The queue stream holds at most QueueSize+MaxRunning messages, a hard
	// bound behind the check of QueueSize that front ends racing each other could pass
	// together.
	MaxRunning int
	// AckWait is how long a delivered generation may go without a heartbeat before it is
	// redelivered (default 30 s); workers heartbeat every AckWait/3.
	AckWait time.Duration
	// MaxDeliver is how many deliveries a generation gets before it fails as a poison job
	// (default 5).
	MaxDeliver int
	// Storage is where the server keeps the state (default jetstream.FileStorage).
	Storage jetstream.StorageType
	// Replicas of each (default 1).
	Replicas int
}

func (c Config) withDefaults() Config {
	if c.Prefix == "" {
		c.Prefix = "ORFEAS"
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 128
	}
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxRunning <= 0 {
		c.MaxRunning = 1024
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 5
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	return c
}

// Cluster is a connection to the job state, queue and blobs on one NATS JetStream system.
// Front ends Submit, Get, Watch, Cancel and read blobs; workers Work. Its methods are safe for
// concurrent use.
type Cluster struct {
	cfg     Config
	js      jetstream.JetStream
	kv      jetstream.KeyValue
	docs    jetstream.KeyValue
	workers jetstream.KeyValue
	obj     jetstream.ObjectStore
	stream  jetstream.Stream
	subject string
	// redelivered counts the deliveries after the first that this Cluster's workers took.
	redelivered atomic.Int64
}

// Open creates (or updates) the bucket, stream, consumer and object store on nc's JetStream and
// returns a Cluster using them. The connection stays the caller's to close.
func Open(ctx context.Context, nc *nats.Conn, cfg Config) (*Cluster, error) {
	cfg = cfg.withDefaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("natsjobs: %w", err)
	}
	c := &Cluster{cfg: cfg, js: js, subject: cfg.Prefix + ".queue"}
	c.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: cfg.Prefix + "_jobs", History: 1, Storage: cfg.Storage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsjobs: job bucket: %w", err)
	}
	c.docs, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: cfg.Prefix + "_entries", History: 1, Storage: cfg.Storage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsjobs: entry bucket: %w", err)
	}
	c.workers, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: cfg.Prefix + "_workers", History: 1, TTL: 3 * announceEvery,
		Storage: jetstream.MemoryStorage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsjobs: worker bucket: %w", err)
	}
	c.obj, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: cfg.Prefix + "_blobs", Storage: cfg.Storage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsjobs: blob store: %w", err)
	}
	c.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       cfg.Prefix + "_queue",
		Subjects:   []string{c.subject},
		Retention:  jetstream.WorkQueuePolicy,
		MaxMsgs:    int64(cfg.QueueSize + cfg.MaxRunning),
		Discard:    jetstream.DiscardNew,
		Duplicates: 2 * time.Minute,
		Storage:    cfg.Storage,
		Replicas:   cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsjobs: queue stream: %w", err)
	}
	_, err = c.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:   "workers",
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   cfg.AckWait,
		// Unlimited here: Work fails a generation past MaxDeliver itself, with the reason,
		// and removes its message, where the server would leave it in the stream.
		MaxDeliver:    -1,
		MaxAckPending: cfg.MaxRunning,
	})
	if err != nil {
		return nil, fmt.Errorf("natsjobs: consumer: %w", err)
	}
	return c, nil
}

// message is a queue message: which generation of which job to run.
type message struct {
	ID  string `json:"id"`
	Gen int    `json:"gen"`
}

// Submit queues a new generation of job id with params. It returns ErrConflict while one is
// queued or processing (anywhere), ErrQueueFull when the queue is full (the record is then as
// it was).
func (c *Cluster) Submit(ctx context.Context, id string, params []byte) (Record, error) {
	now := time.Now().UTC()
	old, rev, err := c.get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		rev = 0
	case err != nil:
		return Record{}, err
	case old.InFlight():
		return Record{}, ErrConflict
	}
	if st, err := c.Stats(ctx); err == nil && st.Queued >= c.cfg.QueueSize {
		return Record{}, ErrQueueFull
	}
	rec := Record{ID: id, Gen: old.Gen + 1, State: StateQueued, Params: params, Created: now, Updated: now}
	data, err := json.Marshal(&rec)
	if err != nil {
		return Record{}, fmt.Errorf("natsjobs: %w", err)
	}
	if rev == 0 {
		rev, err = c.kv.Create(ctx, id, data)
	} else {
		rev, err = c.kv.Update(ctx, id, data, rev)
	}
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return Record{}, ErrConflict // another front end submitted between our read and write
	}
	if err != nil {
		return Record{}, fmt.Errorf("natsjobs: record %s: %w", id, err)
	}
	msg, _ := json.Marshal(message{ID: id, Gen: rec.Gen})
	ack, err := c.js.Publish(ctx, c.subject, msg, jetstream.WithMsgID(fmt.Sprintf("%s#%d", id, rec.Gen)))
	if err != nil {
		// Not queued: put the record back as it was, so the job can be submitted again.
		if old.ID != "" {
			prev, _ := json.Marshal(&old)
			_, _ = c.kv.Update(ctx, id, prev, rev)
		} else {
			_ = c.kv.Delete(ctx, id, jetstream.LastRevision(rev))
		}
		var api *jetstream.APIError
		if errors.As(err, &api) && api.ErrorCode == errCodeStoreFailed {
			return Record{}, ErrQueueFull
		}
		return Record{}, fmt.Errorf("natsjobs: queue %s: %w", id, err)
	}
	// Best effort: without it, a cancel while queued leaves the message for a worker to skip.
	_, _ = c.update(ctx, id, func(r *Record) error {
		if r.Gen != rec.Gen {
			return errSkip
		}
		r.Seq = ack.Sequence
		return nil
	})
	return rec, nil
}

// Get returns job id's record, or ErrNotFound.
func (c *Cluster) Get(ctx context.Context, id string) (Record, error) {
	r, _, err := c.get(ctx, id)
	return r, err
}

func (c *Cluster) get(ctx context.Context, id string) (Record, uint64, error) {
	e, err := c.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, 0, fmt.Errorf("%w: job %s", ErrNotFound, id)
	}
	if err != nil {
		return Record{}, 0, fmt.Errorf("natsjobs: get %s: %w", id, err)
	}
	var r Record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, 0, fmt.Errorf("natsjobs: record %s: %w", id, err)
	}
	return r, e.Revision(), nil
}

// maxCAS bounds the read-modify-write retries of update: each retry means someone else changed
// the record meanwhile, which happens a few times at most (a cancel, a progress write).
const maxCAS = 16

// update applies change to job id's record with a revision-checked write, retrying when the
// record changed in between. change returns errSkip to write nothing.
func (c *Cluster) update(ctx context.Context, id string, change func(*Record) error) (Record, error) {
	for range maxCAS {
		r, rev, err := c.get(ctx, id)
		if err != nil {
			return Record{}, err
		}
		if err := change(&r); err != nil {
			return r, err
		}
		r.Updated = time.Now().UTC()
		data, err := json.Marshal(&r)
		if err != nil {
			return Record{}, fmt.Errorf("natsjobs: %w", err)
		}
		_, err = c.kv.Update(ctx, id, data, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			continue
		}
		if err != nil {
			return Record{}, fmt.Errorf("natsjobs: update %s: %w", id, err)
		}
		return r, nil
	}
	return Record{}, fmt.Errorf("natsjobs: update %s: %d conflicting writes in a row", id, maxCAS)
}

// errSkip tells update to write nothing.
var errSkip = errors.New("natsjobs: no change")

// Cancel cancels job id's generation: a queued one ends canceled at once (the worker that
// pulls it skips it), a processing one is flagged, and the worker running it cancels its
// context and records canceled. ErrNotInFlight when there is nothing to cancel.
func (c *Cluster) Cancel(ctx context.Context, id string) (Record, error) {
	dequeue := false
	r, err := c.update(ctx, id, func(r *Record) error {
		dequeue = false
		switch r.State {
		case StateQueued:
			r.State, r.Error = StateCanceled, "canceled by request"
			dequeue = r.Seq != 0
		case StateProcessing:
			if r.Cancel {
				return errSkip
			}
			r.Cancel = true
		default:
			return ErrNotInFlight
		}
		return nil
	})
	if errors.Is(err, errSkip) {
		return r, nil
	}
	if err == nil && dequeue {
		_ = c.stream.DeleteMsg(ctx, r.Seq) // a worker may hold it already: it skips it then
	}
	return r, err
}

// Watch streams job id's record: its current value first, then every change, until a terminal
// state (sent, then the channel closes) or ctx ends. The goroutine it starts ends with either.
func (c *Cluster) Watch(ctx context.Context, id string) (<-chan Record, error) {
	w, err := c.kv.Watch(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("natsjobs: watch %s: %w", id, err)
	}
	out := make(chan Record, 16)
	go func() {
		defer close(out)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue // nil marks the end of the initial values
				}
				var r Record
				if json.Unmarshal(e.Value(), &r) != nil {
					continue
				}
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
				if !r.InFlight() {
					return
				}
			}
		}
	}()
	return out, nil
}

// Stats counts the generations in the queue stream: queued and running ones alike (a work-queue
// message stays until acked), and those delivered but not acked (running).
type Stats struct {
	Queued, Running int
	// Redelivering counts the generations now delivered more than once (a worker died or
	// stopped while running them), as the consumer reports it.
	Redelivering int
	// Workers counts the worker loops that announced themselves in the last few seconds.
	Workers int
}

// Stats reads the queue's counts.
func (c *Cluster) Stats(ctx context.Context) (Stats, error) {
	info, err := c.stream.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("natsjobs: %w", err)
	}
	cons, err := c.stream.Consumer(ctx, "workers")
	if err != nil {
		return Stats{}, fmt.Errorf("natsjobs: %w", err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("natsjobs: %w", err)
	}
	running := ci.NumAckPending
	st := Stats{Queued: max(int(info.State.Msgs)-running, 0), Running: running, Redelivering: ci.NumRedelivered}
	keys, err := c.workers.ListKeys(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("natsjobs: %w", err)
	}
	for range keys.Keys() {
		st.Workers++
	}
	return st, nil
}

// errCodeStoreFailed is JetStream's error code for a message the stream refused to store: with
// DiscardNew and MaxMsgs, a full queue.
const errCodeStoreFailed jetstream.ErrorCode = 10077

// CodedError is an error of a RunFunc that carries a machine-readable code; Work records it as
// the record's ErrorCode.
type CodedError interface {
	error
	ErrorCode() string
}

// PutEntry stores the submitter's document of job id (see the package doc). create makes it fail
// with ErrConflict when one exists already (a fresh job ID that another front end took).
func (c *Cluster) PutEntry(ctx context.Context, id string, doc []byte, create bool) error {
	var err error
	if create {
		_, err = c.docs.Create(ctx, id, doc)
	} else {
		_, err = c.docs.Put(ctx, id, doc)
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%w: entry %s exists", ErrConflict, id)
	}
	if err != nil {
		return fmt.Errorf("natsjobs: entry %s: %w", id, err)
	}
	return nil
}

// Entry returns the document of job id, or ErrNotFound.
func (c *Cluster) Entry(ctx context.Context, id string) ([]byte, error) {
	e, err := c.docs.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("%w: entry %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("natsjobs: entry %s: %w", id, err)
	}
	return e.Value(), nil
}

// EntryIDs lists the IDs of every job with a document.
func (c *Cluster) EntryIDs(ctx context.Context) ([]string, error) {
	keys, err := c.docs.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("natsjobs: entries: %w", err)
	}
	var ids []string
	for k := range keys.Keys() {
		ids = append(ids, k)
	}
	return ids, nil
}

// DeleteJob removes everything kept for job id: its record, its document and its blobs. A
// generation of it still in the queue is skipped by the worker that pulls it.
func (c *Cluster) DeleteJob(ctx context.Context, id string) error {
	objs, err := c.obj.List(ctx)
	if err != nil && !errors.Is(err, jetstream.ErrNoObjectsFound) {
		return fmt.Errorf("natsjobs: delete %s: %w", id, err)
	}
	var errs []error
	for _, o := range objs {
		if strings.HasPrefix(o.Name, id+"/") {
			if err := c.obj.Delete(ctx, o.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				errs = append(errs, err)
			}
		}
	}
	for _, kv := range []jetstream.KeyValue{c.kv, c.docs} {
		if err := kv.Purge(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("natsjobs: delete %s: %w", id, err)
	}
	return nil
}

// announceEvery is how often a worker loop refreshes its key in the worker bucket; the key
// expires after three missed refreshes.
const announceEvery = 2 * time.Second
