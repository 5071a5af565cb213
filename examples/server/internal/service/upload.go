package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"net/http"
	"path/filepath"

	"github.com/orfeas3d/orfeas/imagecheck"
)

type uploadResponse struct {
	JobID      string    `json:"job_id"`
	Filename   string    `json:"filename"`
	PreviewURL string    `json:"preview_url"`
	Status     string    `json:"status"`
	ImageInfo  imageInfo `json:"image_info"`
}

func (s *Service) handleUpload(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		s.fail(w, r, errShuttingDown)
		return
	}
	var file *formFile
	_, err := s.readForm(w, r, s.cfg.MaxUploadBytes+1<<20, func(f formFile) error {
		if f.field != "image" || file != nil {
			return nil // other files are ignored; the first "image" counts
		}
		file = &f
		return nil
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if file == nil {
		s.fail(w, r, errorf(http.StatusBadRequest, "no file in the form field \"image\""))
		return
	}
	e, err := s.storeUpload(r.Context(), *file)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	e.mu.Lock()
	resp := uploadResponse{
		JobID: e.m.ID, Filename: e.m.Filename, PreviewURL: previewURL(e.m.ID),
		Status: e.m.State, ImageInfo: *e.m.Image,
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

func previewURL(id string) string { return "/api/preview/" + id }

func downloadURL(id, ext string) string { return "/api/download/" + id + "/" + modelFile(ext) }

// storeUpload validates an uploaded image, stores its sanitised PNG (pixels only, no metadata)
// in a new job folder and registers the job as uploaded.
func (s *Service) storeUpload(ctx context.Context, f formFile) (*entry, error) {
	if f.tooLarge {
		return nil, errorf(http.StatusRequestEntityTooLarge, "file larger than %d bytes", s.cfg.MaxUploadBytes)
	}
	lim := imagecheck.Limits{MaxBytes: s.cfg.MaxUploadBytes}
	// The header tells what decoding will cost (a 40 MP image takes over 600 MB): check it
	// first, then reserve that much of the decode memory shared by every request.
	hdr, err := imagecheck.Check(bytes.NewReader(f.data), lim)
	if err != nil {
		return nil, imageError(err)
	}
	release, err := s.reserveDecode(ctx, hdr)
	if err != nil {
		return nil, err
	}
	img, info, err := imagecheck.Decode(ctx, bytes.NewReader(f.data), lim)
	var clean []byte
	if err == nil {
		clean, err = imagecheck.Sanitize(ctx, img)
		if err != nil {
			err = fmt.Errorf("sanitize upload: %w", err)
		}
	} else {
		err = imageError(err)
	}
	transparent := err == nil && hasTransparency(img)
	img = nil
	release()
	if err != nil {
		return nil, err
	}
	ii := &imageInfo{
		Size:            [2]int{info.Width, info.Height},
		Format:          string(info.Format),
		Mode:            pilMode(info.ColorModel),
		HasTransparency: transparent,
		FileSize:        int64(len(f.data)),
	}
	return s.newJob(manifest{Kind: kindImage, Filename: f.filename, Image: ii, State: stateUploaded}, func(dir string) error {
		return writeBytes(s.fs, filepath.Join(dir, uploadFile), clean)
	})
}

// reserveDecode takes the decode memory the image of hdr needs from the budget shared by every
// request, waiting while others hold it, until ctx ends. The returned function gives it back.
func (s *Service) reserveDecode(ctx context.Context, hdr imagecheck.Info) (func(), error) {
	need := imagecheck.DecodeMemory(hdr)
	if need > s.cfg.DecodeMemory {
		return nil, errorf(http.StatusRequestEntityTooLarge, "decoding this %d×%d image needs about %d MB, more than the server allows (%d MB)",
			hdr.Width, hdr.Height, need>>20, s.cfg.DecodeMemory>>20)
	}
	if err := s.decodeMem.Acquire(ctx, need); err != nil {
		return nil, errorf(http.StatusServiceUnavailable, "request cancelled while waiting to decode")
	}
	s.decodeReserved.Add(need)
	return func() {
		s.decodeReserved.Add(-need)
		s.decodeMem.Release(need)
	}, nil
}

// imageError maps imagecheck's errors to responses: over the byte limit 413, every other
// problem with the file 400 with imagecheck's reason.
func imageError(err error) error {
	var le *imagecheck.LimitError
	switch {
	case errors.As(err, &le) && le.Name == "bytes":
		return errorf(http.StatusRequestEntityTooLarge, "%v", err)
	case errors.Is(err, imagecheck.ErrEmpty):
		return errorf(http.StatusBadRequest, "empty file")
	case errors.Is(err, imagecheck.ErrUnsupportedFormat),
		errors.Is(err, imagecheck.ErrTooLarge),
		errors.Is(err, imagecheck.ErrDimensions),
		errors.Is(err, imagecheck.ErrCorrupt):
		return errorf(http.StatusBadRequest, "invalid image: %v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return errorf(http.StatusServiceUnavailable, "request cancelled")
	}
	return fmt.Errorf("decode upload: %w", err)
}

// pilMode names a colour model the way the old service (PIL) did.
func pilMode(c imagecheck.ColorModel) string {
	switch c {
	case imagecheck.ColorGray:
		return "L"
	case imagecheck.ColorGrayAlpha:
		return "LA"
	case imagecheck.ColorRGB, imagecheck.ColorYCbCr:
		return "RGB"
	case imagecheck.ColorRGBA, imagecheck.ColorYCbCrA:
		return "RGBA"
	case imagecheck.ColorPaletted:
		return "P"
	case imagecheck.ColorCMYK:
		return "CMYK"
	}
	return string(c)
}

// hasTransparency reports whether any pixel of img is not fully opaque.
func hasTransparency(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return !o.Opaque()
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}
