package service

import (
	"net/http"
)

// handleCancel cancels the job's generation through the registry, whose hook records the
// canceled state before Cancel returns. canceled in the answer says whether this request did it;
// cancelMu makes that true for one request only when several race.
func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	s.cancelMu.Lock()
	defer s.cancelMu.Unlock()
	e.mu.Lock()
	id, key, live := e.m.ID, e.key, inFlight(e.m.State) && !e.removed
	e.mu.Unlock()
	if live {
		_ = s.reg.Cancel(id) // ends the registry job and cancels the generation's context
		s.refresh(e)
	}
	e.mu.Lock()
	canceled := live && e.key == key && e.m.State == stateCanceled
	st := statusOf(e, nil)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		jobStatus
		Canceled bool `json:"canceled"`
	}{st, canceled})
}
