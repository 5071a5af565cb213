package service

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/orfeas3d/orfeas/jobs"
)

// handleEvents streams the job's state and progress as server-sent events (event "state" or
// "progress", data the job-status object) and ends after the terminal state. For a job not in
// flight it sends its state once and ends.
func (s *Service) handleEvents(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	seq := 0
	send := func(kind string, st jobStatus) bool {
		data, err := json.Marshal(st)
		if err != nil {
			return false
		}
		seq++
		_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		if _, err := fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", seq, kind, data); err != nil {
			return false
		}
		return rc.Flush() == nil
	}

	e.mu.Lock()
	id, live := e.m.ID, inFlight(e.m.State)
	e.mu.Unlock()
	var ch <-chan jobs.Event[generated]
	if live {
		c, unsubscribe, err := s.reg.Subscribe(id)
		if err == nil {
			defer unsubscribe()
			ch = c
		}
	}
	if ch == nil {
		send("state", s.currentStatus(e))
		return
	}
	heartbeat := time.NewTicker(15 * time.Second)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-heartbeat.C:
			_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case ev, ok := <-ch:
			if !ok {
				// The registry's terminal event came: the entry holds the outcome now.
				send("state", s.currentStatus(e))
				return
			}
			e.mu.Lock()
			st := statusOf(e, &ev.Job)
			e.mu.Unlock()
			if ev.Job.State.Terminal() {
				continue // the closed channel follows; report the entry's final state then
			}
			kind := "progress"
			if ev.Kind == jobs.StateEvent {
				kind = "state"
			}
			if !send(kind, st) {
				return
			}
		}
	}
}
