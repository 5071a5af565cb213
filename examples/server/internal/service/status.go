package service

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/orfeas3d/orfeas/jobs"
)

// jobStatus is the body of job-status and the data of each job event.
type jobStatus struct {
	JobID       string            `json:"job_id"`
	Status      string            `json:"status"`
	Progress    int               `json:"progress"`
	Stage       string            `json:"stage"`
	Error       *string           `json:"error"`
	ErrorCode   string            `json:"error_code,omitempty"`
	DownloadURL *string           `json:"download_url"`
	Downloads   map[string]string `json:"downloads,omitempty"`
	Report      json.RawMessage   `json:"report"`
	Kind        string            `json:"kind"`
	Format      string            `json:"format,omitempty"`
	Quality     string            `json:"quality,omitempty"`
	Mode        string            `json:"mode,omitempty"`
	Filename    string            `json:"filename,omitempty"`
	PreviewURL  string            `json:"preview_url,omitempty"`
	// ModelPreviewURL is a shaded PNG of the model, once there is one.
	ModelPreviewURL string     `json:"model_preview_url,omitempty"`
	ImageInfo       *imageInfo `json:"image_info,omitempty"`
	Seconds         float64    `json:"seconds,omitempty"`
	Created         time.Time  `json:"created"`
	Updated         time.Time  `json:"updated"`
}

// statusOf describes e; called with e.mu held. snap, when not nil, is the registry's record of
// the job, used for the progress of a generation in flight.
func statusOf(e *entry, snap *jobs.Snapshot[generated]) jobStatus {
	m := &e.m
	st := jobStatus{
		JobID: m.ID, Status: m.State, Kind: m.Kind, Format: m.Format, Quality: m.Quality, Mode: m.Mode,
		Filename: m.Filename, ImageInfo: m.Image, Seconds: m.Seconds, Created: m.Created, Updated: m.Updated,
		Report: m.Report,
	}
	if m.Kind == kindImage {
		st.PreviewURL = previewURL(m.ID)
	}
	if m.Error != "" {
		msg := m.Error
		st.Error, st.ErrorCode = &msg, m.ErrorCode
	}
	if len(m.Models) > 0 {
		st.Downloads = make(map[string]string, len(m.Models))
		for _, ext := range m.Models {
			st.Downloads[ext] = downloadURL(m.ID, ext)
		}
		if m.Kind == kindImage && slices.Contains(m.Models, "obj") {
			st.Downloads["obj.zip"] = "/api/download/" + m.ID + "/" + objZipFile
		}
		st.ModelPreviewURL = modelPreviewURL(m.ID)
	}
	if m.State == stateCompleted && slices.Contains(m.Models, m.Format) {
		u := downloadURL(m.ID, m.Format)
		st.DownloadURL = &u
		st.Progress, st.Stage = 100, "done"
	}
	if inFlight(m.State) && snap != nil && snap.Key == e.key {
		// An event may be older than the manifest: report the state it was sent for.
		st.Stage = snap.Stage
		st.Progress = int(math.Floor(snap.Fraction * 100))
		switch snap.State {
		case jobs.Queued:
			st.Status = stateQueued
		case jobs.Running:
			st.Status = stateProcessing
		}
		if st.Progress >= 100 {
			st.Progress = 99 // 100 only once the model is stored
		}
	}
	return st
}

// entryFor validates the job ID in the path and finds its entry, writing 404 when there is none.
func (s *Service) entryFor(w http.ResponseWriter, r *http.Request) *entry {
	id := r.PathValue("job_id")
	if !validID(id) {
		writeError(w, http.StatusNotFound, "job not found")
		return nil
	}
	e := s.lookup(id)
	if e == nil {
		if s.clusterDown() {
			writeError(w, http.StatusServiceUnavailable, errClusterDown)
			return nil
		}
		writeError(w, http.StatusNotFound, "job not found")
		return nil
	}
	return e
}

// currentStatus describes e now.
func (s *Service) currentStatus(e *entry) jobStatus {
	s.refresh(e)
	e.mu.Lock()
	id, live := e.m.ID, inFlight(e.m.State)
	e.mu.Unlock()
	var snap *jobs.Snapshot[generated]
	if live {
		if sn, err := s.reg.Get(id); err == nil {
			snap = &sn
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return statusOf(e, snap)
}

func (s *Service) handleStatus(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	writeJSON(w, http.StatusOK, s.currentStatus(e))
}
