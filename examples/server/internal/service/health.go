package service

import (
	"context"
	"fmt"
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
	// Reason says why Status is "degraded": the data folder is full or read-only, so nothing
	// can be stored (POST routes that store answer 507 or 503) while reads still work.
	Reason string `json:"reason,omitempty"`
	// TextToImage says whether /api/text-to-image has a provider (-txt2img-url); without one it
	// answers 501. The studio page shows its prompt box only when this is true.
	TextToImage bool `json:"text_to_image"`
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
	h.TextToImage = s.cfg.TextImage != nil
	if s.cfg.Backend == generator.BackendHunyuan {
		h.Remote = s.pingRemote(r.Context())
	}
	code := http.StatusOK
	if p, reason := s.storage.get(); p != "" {
		h.Status, h.Reason = "degraded", reason
	}
	if s.clusterDown() {
		h.Status, h.Reason = "degraded", errClusterDown
	}
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
	s.storage.mu.Lock()
	degraded, errs := 0, s.storage.errors
	if s.storage.problem != "" {
		degraded = 1
	}
	s.storage.mu.Unlock()
	fmt.Fprintf(w, "# HELP orfeas_storage_degraded 1 while the data folder is full or read-only.\n# TYPE orfeas_storage_degraded gauge\norfeas_storage_degraded %d\n", degraded)
	fmt.Fprintf(w, "# HELP orfeas_storage_write_errors_total Writes that failed because the data folder was full or read-only.\n# TYPE orfeas_storage_write_errors_total counter\norfeas_storage_write_errors_total %d\n", errs)
	if s.cl != nil {
		s.writeClusterMetrics(w)
	}
	fmt.Fprintf(w, "# HELP orfeas_decode_memory_reserved_bytes Decode memory the running image decodes hold.\n# TYPE orfeas_decode_memory_reserved_bytes gauge\norfeas_decode_memory_reserved_bytes %d\n", s.decodeReserved.Load())
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
