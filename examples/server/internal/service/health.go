package service

import (
	"context"
	"net/http"
	"time"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/generator"
)

type healthResponse struct {
	Status     string    `json:"status"`
	Timestamp  time.Time `json:"timestamp"`
	Backend    string    `json:"backend"`
	GPU        *gpuInfo  `json:"gpu"`
	ActiveJobs int       `json:"active_jobs"`
	QueuedJobs int       `json:"queued_jobs"`
	Version    string    `json:"version"`
	// Remote, for the hunyuan backend, says whether its server answers.
	Remote *remoteInfo `json:"remote,omitempty"`
}

type remoteInfo struct {
	URL       string `json:"url"`
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
}

type gpuInfo struct {
	Backend string `json:"backend"`
}

func (s *Service) handleHealth(w http.ResponseWriter, r *http.Request) {
	st := s.reg.Stats()
	h := healthResponse{
		Status:     "healthy",
		Timestamp:  time.Now().UTC(),
		Backend:    s.gen.Backend(),
		ActiveJobs: st.Running,
		QueuedJobs: st.Queued,
		Version:    s.cfg.Version,
	}
	if h.Backend == generator.BackendCUDA {
		h.GPU = &gpuInfo{Backend: h.Backend}
	}
	if s.cfg.Backend == generator.BackendHunyuan {
		h.Remote = s.pingRemote(r.Context())
	}
	code := http.StatusOK
	if s.closing.Load() {
		h.Status, code = "shutting_down", http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

func (s *Service) handleMetrics(w http.ResponseWriter, r *http.Request) {
	states := map[string]int{}
	for _, e := range s.snapshotEntries() {
		e.mu.Lock()
		states[e.m.State]++
		e.mu.Unlock()
	}
	st := s.reg.Stats()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, states, st.Queued, st.Running)
}

// pingRemote checks within two seconds that the hunyuan server answers. An unreachable remote
// does not make the service unhealthy (uploads, meshes and downloads still work); it is reported.
func (s *Service) pingRemote(ctx context.Context) *remoteInfo {
	ri := &remoteInfo{URL: s.cfg.Hunyuan.URL}
	b, err := hunyuan.New(s.cfg.Hunyuan)
	if err == nil {
		defer b.Close()
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		err = b.Ping(ctx)
	}
	ri.Reachable = err == nil
	if err != nil {
		ri.Error = err.Error()
	}
	return ri
}
