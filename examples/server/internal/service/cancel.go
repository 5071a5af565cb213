package service

import (
	"net/http"
	"time"
)

func (s *Service) handleCancel(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	e.mu.Lock()
	canceled := false
	if inFlight(e.m.State) && !e.removed {
		e.m.State, e.m.Error, e.m.Updated = stateCanceled, "canceled by request", time.Now()
		s.persist(e)
		_ = s.reg.Cancel(e.m.ID) // ends the registry job and cancels the generation's context
		canceled = true
	}
	st := statusOf(e, nil)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		jobStatus
		Canceled bool `json:"canceled"`
	}{st, canceled})
}
