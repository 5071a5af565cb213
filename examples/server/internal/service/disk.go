package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
)

// fileStore is what the service writes job files through. The service's own is diskStore
// (atomicfile on the local disk); tests substitute one that fails chosen writes with ENOSPC or
// EROFS, so that a full or read-only data folder is tested without one.
type fileStore interface {
	// Write writes path atomically with what write produces (see atomicfile.Write).
	Write(ctx context.Context, path string, write func(io.Writer) error) error
	// Create makes a temporary file in dir that Commit renames into place.
	Create(dir string) (tempFile, error)
	// Mkdir creates a folder.
	Mkdir(path string) error
}

// tempFile is a temporary file that becomes a named file on Commit (atomicfile.File).
type tempFile interface {
	io.Writer
	Sync() error
	Commit(name string) error
	Abort()
}

// diskStore is the fileStore of the local file system.
type diskStore struct{}

func (diskStore) Write(ctx context.Context, path string, write func(io.Writer) error) error {
	return atomicfile.Write(ctx, path, write)
}

func (diskStore) Create(dir string) (tempFile, error) { return atomicfile.Create(dir) }

func (diskStore) Mkdir(path string) error { return os.Mkdir(path, 0o755) }

// writeBytes writes data to path atomically through fs.
func writeBytes(fs fileStore, path string, data []byte) error {
	return fs.Write(context.Background(), path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// storageProblem classifies err as a condition of the data folder that other requests will meet
// too: "full" (ENOSPC, EDQUOT) or "read-only" (EROFS, EACCES, EPERM). It returns "" for any
// other error.
func storageProblem(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return "full"
	case errors.Is(err, syscall.EROFS), errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return "read-only"
	}
	return ""
}

// storageError is the response to a request that needs the data folder while it is full (507
// Insufficient Storage) or read-only (503), or nil when problem is "".
func storageError(problem string) *httpError {
	switch problem {
	case "full":
		return &httpError{status: http.StatusInsufficientStorage, msg: "the server's data folder is full: nothing can be stored until space is freed"}
	case "read-only":
		return &httpError{status: http.StatusServiceUnavailable, msg: "the server's data folder is not writable: nothing can be stored until it is"}
	}
	return nil
}

// storageState is the health of the data folder: the last write failure that other requests
// would meet too, until a probe write succeeds again.
type storageState struct {
	mu      sync.Mutex
	problem string    // "", "full" or "read-only"
	reason  string    // the failure, for health (no paths)
	since   time.Time // when the problem was first seen
	errors  int64     // writes that failed for a storage condition, for the metrics
}

// note records the outcome of a write: a storage failure degrades the folder's health; other
// errors and successes leave it as it is (only a probe clears it, so that one small write that
// fits does not hide a folder that is still full).
func (st *storageState) note(err error) {
	p := storageProblem(err)
	if p == "" {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.errors++
	if st.problem == "" {
		st.since = time.Now()
	}
	st.problem = p
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err // the path stays in the log
	}
	st.reason = fmt.Sprintf("data folder %s: %v", p, err)
}

// get returns the current problem ("" when healthy) and its reason.
func (st *storageState) get() (problem, reason string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.problem, st.reason
}

func (st *storageState) clear() {
	st.mu.Lock()
	st.problem, st.reason = "", ""
	st.mu.Unlock()
}

// probeFile is the file a probe writes and removes in the jobs folder.
const probeFile = tempPrefix + "probe"

// probe writes a small file through the store and removes it. On success a degraded data folder
// is healthy again and the manifests that could not be written are written now.
func (s *Service) probe() {
	if p, _ := s.storage.get(); p == "" {
		return
	}
	path := filepath.Join(s.root, probeFile)
	err := writeBytes(s.fs, path, make([]byte, 4096))
	os.Remove(path)
	if err != nil {
		s.storage.note(err)
		return
	}
	// Write what could not be written before reporting the folder healthy again.
	for _, e := range s.snapshotEntries() {
		e.mu.Lock()
		var err error
		if e.dirty && !e.removed {
			err = s.persist(e)
		}
		e.mu.Unlock()
		if err != nil {
			return // still failing: noted by persist, tried again at the next probe
		}
	}
	s.storage.clear()
	s.log.Info("data folder writable again")
}

// storageGate refuses, while the data folder is full or read-only, the POST requests that would
// store something (every one but /api/stl/analyze), with a JSON error, before reading their
// bodies.
func (s *Service) storageGate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path != "/api/stl/analyze" {
			if p, _ := s.storage.get(); p != "" {
				s.fail(w, r, storageError(p))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
