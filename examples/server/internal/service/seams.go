package service

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/orfeas3d/orfeas/jobs"
)

// The seams of the service: what its routes need from the machinery that runs generations and
// keeps their files. Each is a small interface with the single-machine implementation beside
// it (a jobs.Registry in this process, the job folders on the local disk); a distributed one
// (NATS JetStream, issue 19) implements the same methods so that the route code stays as it
// is. They use the service's own types (genParams, generated) on purpose: an implementation
// is an adapter in this package around a transport package that knows nothing of HTTP.

// generations is the state machine of generations, as the routes drive it: generate-3d and
// batch submit, cancel cancels, job-status reads the live progress, job-events follows it,
// health and metrics count, Shutdown closes.
type generations interface {
	// Submit queues a generation of job id with p. hook receives every state change of that
	// generation, in order, before anyone else can observe it (it writes the manifest); the
	// NATS implementation does not call it, its state being the generation's record, which
	// every read overlays on the manifest (nats.go). The errors are the jobs package's:
	// ErrJobConflict (a generation of id is queued or running anywhere: 409), ErrQueueFull
	// (429), ErrClosed (503).
	Submit(id string, p genParams, hook func(jobs.Snapshot[generated])) error
	// Cancel ends the generation of id in flight, cancelling its context; its hook records
	// the canceled state before Cancel returns. jobs.ErrNotFound when none is in flight.
	Cancel(id string) error
	// Get is the live record of the generation of id, for its progress.
	Get(id string) (jobs.Snapshot[generated], error)
	// Subscribe streams the state and progress events of the generation of id in flight; the
	// channel is closed after its terminal event. The func unsubscribes.
	Subscribe(id string) (<-chan jobs.Event[generated], func(), error)
	// Stats counts the generations queued and running, for health and metrics.
	Stats() jobs.Stats
	// Close stops accepting generations, lets those queued and running finish until ctx ends,
	// then cancels the rest (their hooks see jobs.ErrClosed).
	Close(ctx context.Context) error
}

// localGenerations is the single-machine generations: a jobs.Registry in this process whose
// work is run.
type localGenerations struct {
	reg *jobs.Registry[generated]
	run func(ctx context.Context, id string, p genParams, progress func(string, float64)) (generated, error)
}

// Submit queues run(id, p) under a fresh key (see generationKey), with hook as its jobs.WithHook.
func (l localGenerations) Submit(id string, p genParams, hook func(jobs.Snapshot[generated])) error {
	_, err := l.reg.Submit(id, generationKey(id), func(ctx context.Context, progress func(string, float64)) (generated, error) {
		return l.run(ctx, id, p, progress)
	}, jobs.WithHook(hook))
	return err
}

func (l localGenerations) Cancel(id string) error { return l.reg.Cancel(id) }

func (l localGenerations) Get(id string) (jobs.Snapshot[generated], error) { return l.reg.Get(id) }

func (l localGenerations) Subscribe(id string) (<-chan jobs.Event[generated], func(), error) {
	return l.reg.Subscribe(id)
}

func (l localGenerations) Stats() jobs.Stats { return l.reg.Stats() }

func (l localGenerations) Close(ctx context.Context) error { return l.reg.Close(ctx) }

// blob is a stored file opened for serving: http.ServeContent reads and seeks it.
type blob interface {
	io.ReadSeekCloser
	// ModTime is when it was stored (the zero time when unknown).
	ModTime() time.Time
}

// blobs is where the routes read a job's stored files from: the upload (uploadFile), its models
// (modelFile), the OBJ zip and the model preview. Writes go through fileStore. A missing file
// is an error satisfying errors.Is(err, os.ErrNotExist).
type blobs interface {
	// Open opens the file name of job id; both are fixed by the server (validID, the file
	// name constants), never a client's text.
	Open(ctx context.Context, id, name string) (blob, error)
}

// dirBlobs is the blobs of the local job folders, root/<id>/<name>.
type dirBlobs struct{ root string }

func (d dirBlobs) Open(_ context.Context, id, name string) (blob, error) {
	f, err := os.Open(filepath.Join(d.root, id, name))
	if err != nil {
		return nil, err
	}
	return osBlob{f}, nil
}

// osBlob is a blob of an open local file.
type osBlob struct{ *os.File }

// ModTime is the file's modification time, or the zero time when it cannot be read.
func (b osBlob) ModTime() time.Time {
	fi, err := b.Stat()
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// readBlob reads the whole file name of job id from the service's blobs.
func (s *Service) readBlob(ctx context.Context, id, name string) ([]byte, error) {
	b, err := s.blobs.Open(ctx, id, name)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return io.ReadAll(b)
}
