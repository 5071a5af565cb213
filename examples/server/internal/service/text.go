package service

import (
	"net/http"
	"strings"
)

func (s *Service) handleTextToImage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Prompt string `json:"prompt"`
	}
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Prompt) == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "missing prompt"))
		return
	}
	writeJSON(w, http.StatusNotImplemented, apiError{
		Error:  "text-to-image is not available in this server: upload an image with /api/upload-image instead",
		Status: "not_implemented",
	})
}
