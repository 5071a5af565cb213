package service

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/textimage"
)

// textImageTimeout bounds one call to the text-to-image provider.
const textImageTimeout = 3 * time.Minute

type textToImageResponse struct {
	uploadResponse
	Prompt string `json:"prompt"`
}

// handleTextToImage turns {"prompt", "negative_prompt", "width", "height", "steps", "seed"} into
// an image through Config.TextImage, checks it through imagecheck and stores it as an uploaded
// image (the answer is upload-image's, with the prompt), ready for generate-3d. Without a
// provider it answers 501; a provider that fails answers 502 (504 when it timed out).
func (s *Service) handleTextToImage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Prompt         string `json:"prompt"`
		NegativePrompt string `json:"negative_prompt"`
		Width          int    `json:"width"`
		Height         int    `json:"height"`
		Steps          int    `json:"steps"`
		Seed           int64  `json:"seed"`
	}
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Prompt) == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "missing prompt"))
		return
	}
	if s.cfg.TextImage == nil {
		writeJSON(w, http.StatusNotImplemented, apiError{
			Error:  "text-to-image is not configured in this server (start it with -txt2img-url): upload an image with /api/upload-image instead",
			Status: "not_implemented",
		})
		return
	}
	if s.closing.Load() {
		s.fail(w, r, errShuttingDown)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), textImageTimeout)
	defer cancel()
	data, err := s.cfg.TextImage.TextToImage(ctx, textimage.Request{
		Prompt: req.Prompt, NegativePrompt: req.NegativePrompt, Width: req.Width, Height: req.Height,
		Steps: req.Steps, Seed: req.Seed,
	})
	if err != nil {
		switch {
		case errors.Is(err, textimage.ErrInvalidRequest):
			s.fail(w, r, errorf(http.StatusBadRequest, "%v", err))
		case errors.Is(err, textimage.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
			s.fail(w, r, errorf(http.StatusGatewayTimeout, "text-to-image provider: %v", err))
		default:
			s.fail(w, r, errorf(http.StatusBadGateway, "text-to-image provider: %v", err))
		}
		return
	}
	// The provider's bytes are untrusted like any upload's: the same door, the same limits.
	f := formFile{field: "image", filename: "text-to-image.png", data: data, tooLarge: int64(len(data)) > s.cfg.MaxUploadBytes}
	if f.tooLarge {
		f.data = nil
	}
	e, err := s.storeUpload(r.Context(), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e.mu.Lock()
	resp := textToImageResponse{uploadResponse: uploadResponse{
		JobID: e.m.ID, Filename: e.m.Filename, PreviewURL: previewURL(e.m.ID),
		Status: e.m.State, ImageInfo: *e.m.Image,
	}, Prompt: req.Prompt}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}
