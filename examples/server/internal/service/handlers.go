package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/generator"
	"github.com/orfeas3d/orfeas/imagecheck"
	"github.com/orfeas3d/orfeas/jobs"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// httpError is a failure with the status code and message the client gets.
type httpError struct {
	status  int
	msg     string
	details []string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, a ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, a...)}
}

// fail writes err: its own status when it is an *httpError, else 500 (logged; the client gets
// no internals).
func (s *Service) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	if errors.As(err, &he) {
		if he.status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "5")
		}
		writeError(w, he.status, he.msg, he.details...)
		return
	}
	s.log.Error("request failed", "request_id", requestID(r.Context()), "error", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

var errShuttingDown = &httpError{status: http.StatusServiceUnavailable, msg: "server is shutting down"}

// ---- health and metrics ----

type healthResponse struct {
	Status     string    `json:"status"`
	Timestamp  time.Time `json:"timestamp"`
	Backend    string    `json:"backend"`
	GPU        *gpuInfo  `json:"gpu"`
	ActiveJobs int       `json:"active_jobs"`
	QueuedJobs int       `json:"queued_jobs"`
	Version    string    `json:"version"`
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

// ---- multipart ----

// maxFieldBytes bounds a non-file form field; maxParts the parts of one form.
const (
	maxFieldBytes = 4 << 10
	maxParts      = 1000
)

// formFile is a file part, read into memory up to Config.MaxUploadBytes.
type formFile struct {
	field, filename string
	data            []byte
	tooLarge        bool // more than MaxUploadBytes: data is empty
}

// readForm streams a multipart/form-data body of at most bodyLimit bytes. Each file part is
// read (up to MaxUploadBytes) and handed to onFile before the next part is read, so only one
// file is in memory at a time; other fields are returned.
func (s *Service) readForm(w http.ResponseWriter, r *http.Request, bodyLimit int64, onFile func(formFile) error) (map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, bodyLimit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "expected a multipart/form-data body: %v", err)
	}
	fields := map[string]string{}
	for n := 0; ; n++ {
		if n == maxParts {
			return nil, errorf(http.StatusBadRequest, "more than %d form parts", maxParts)
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil
		}
		if err != nil {
			return nil, bodyError(err, "malformed multipart body")
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return nil, bodyError(err, "malformed multipart body")
			}
			if len(v) > maxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "form field %q longer than %d bytes", p.FormName(), maxFieldBytes)
			}
			fields[p.FormName()] = string(v)
			continue
		}
		f := formFile{field: p.FormName(), filename: cleanFilename(p.FileName())}
		data, err := io.ReadAll(io.LimitReader(p, s.cfg.MaxUploadBytes+1))
		if err != nil {
			return nil, bodyError(err, "malformed multipart body")
		}
		if int64(len(data)) > s.cfg.MaxUploadBytes {
			f.tooLarge = true
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, bodyError(err, "malformed multipart body")
			}
		} else {
			f.data = data
		}
		if err := onFile(f); err != nil {
			return nil, err
		}
	}
}

// bodyError maps a body read error: over the limit is 413, anything else 400.
func bodyError(err error, msg string) *httpError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
	}
	return errorf(http.StatusBadRequest, "%s: %v", msg, err)
}

// cleanFilename keeps the base name of a client's file name, for display only, without control
// characters and at most 255 bytes. It never becomes part of a path.
func cleanFilename(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if len(name) > 255 {
		name = name[:255]
	}
	return name
}

// ---- upload ----

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
	// Decoding may take hundreds of MB for an image at the pixel limit: bound how many run at
	// once.
	select {
	case s.decodeSem <- struct{}{}:
	case <-ctx.Done():
		return nil, errorf(http.StatusServiceUnavailable, "request cancelled while waiting to decode")
	}
	img, info, err := imagecheck.Decode(ctx, bytes.NewReader(f.data), imagecheck.Limits{MaxBytes: s.cfg.MaxUploadBytes})
	var clean []byte
	if err == nil {
		clean, err = imagecheck.Sanitize(ctx, img)
		if err != nil {
			err = fmt.Errorf("sanitize upload: %w", err)
		}
	} else {
		err = imageError(err)
	}
	<-s.decodeSem
	if err != nil {
		return nil, err
	}
	ii := &imageInfo{
		Size:            [2]int{info.Width, info.Height},
		Format:          string(info.Format),
		Mode:            pilMode(info.ColorModel),
		HasTransparency: hasTransparency(img),
		FileSize:        int64(len(f.data)),
	}
	return s.newJob(manifest{Kind: kindImage, Filename: f.filename, Image: ii, State: stateUploaded}, func(dir string) error {
		return writeFileAtomic(dir, uploadFile, clean)
	})
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

// ---- generate ----

// generateRequest is the body of generate-3d.
type generateRequest struct {
	JobID      string          `json:"job_id"`
	Format     string          `json:"format"`
	Quality    json.RawMessage `json:"quality"`
	Mode       string          `json:"mode"`
	Dimensions *struct {
		Width  *float64 `json:"width"`
		Height *float64 `json:"height"`
		Depth  *float64 `json:"depth"`
	} `json:"dimensions"`
}

// genParams are a generation's checked parameters.
type genParams struct {
	ext          string // stl, obj, glb or ply
	format       meshio.Format
	quality      generator.Quality
	qualityInput any // the quality as the client gave it (or the default 7)
	mode         generator.Mode
	width        float64
	height       float64
	depth        float64
}

// DefaultQuality is the quality of a request that gives none, on the 1–10 scale.
const DefaultQuality = 7

// parseFormat accepts the four download formats, case-insensitively; "" is STL.
func parseFormat(s string) (string, meshio.Format, error) {
	ext := strings.ToLower(strings.TrimSpace(s))
	if ext == "" {
		ext = "stl"
	}
	if !slices.Contains(modelFormats, ext) {
		return "", 0, fmt.Errorf("format %q: want one of %s", s, strings.Join(modelFormats, ", "))
	}
	f, err := meshio.ParseFormat(ext)
	return ext, f, err
}

// parseQuality accepts a number 1–10 (JSON number or string) or a level name; empty is the
// default.
func parseQuality(raw string, isNumber bool) (generator.Quality, any, error) {
	if raw == "" {
		q, err := generator.QualityFromScale(DefaultQuality)
		return q, DefaultQuality, err
	}
	if isNumber {
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f != math.Trunc(f) || f < 1 || f > 10 {
			return "", nil, fmt.Errorf("quality %s: want an integer from 1 to 10 or draft, standard, high, ultra", raw)
		}
		q, err := generator.QualityFromScale(int(f))
		return q, int(f), err
	}
	q, err := generator.ParseQuality(raw)
	if err != nil {
		return "", nil, fmt.Errorf("quality %q: want an integer from 1 to 10 or draft, standard, high, ultra", raw)
	}
	if n, err := strconv.Atoi(strings.TrimSpace(raw)); err == nil {
		return q, n, nil
	}
	return q, raw, nil
}

// parseParams checks format, quality and mode (and dimensions, when given) and reports every
// problem at once.
func parseParams(format, quality string, qualityIsNumber bool, mode string, dims [3]*float64) (genParams, error) {
	var p genParams
	var problems []string
	var err error
	if p.ext, p.format, err = parseFormat(format); err != nil {
		problems = append(problems, err.Error())
	}
	if p.quality, p.qualityInput, err = parseQuality(quality, qualityIsNumber); err != nil {
		problems = append(problems, err.Error())
	}
	if p.mode, err = generator.ParseMode(strings.TrimSpace(mode)); err != nil {
		problems = append(problems, fmt.Sprintf("mode %q: want one of auto, relief, lithophane, extrude, inflate", mode))
	}
	names := [3]string{"width", "height", "depth"}
	vals := [3]*float64{&p.width, &p.height, &p.depth}
	for i, d := range dims {
		if d == nil {
			continue
		}
		v := *d
		if math.IsNaN(v) || v < 0 || v > generator.MaxSize {
			problems = append(problems, fmt.Sprintf("dimensions.%s %g: want a size in mm from 0 (automatic) to %g", names[i], v, generator.MaxSize))
			continue
		}
		*vals[i] = v
	}
	if len(problems) == 0 {
		probe := p.request(nil)
		probe.Image = []byte{0} // Validate looks at the fields only
		if err := probe.Validate(); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return p, &httpError{status: http.StatusBadRequest, msg: "invalid request", details: problems}
	}
	return p, nil
}

func (p *genParams) request(img []byte) generator.Request {
	return generator.Request{Image: img, Mode: p.mode, Quality: p.quality, Width: p.width, Height: p.height, Depth: p.depth}
}

// decodeJSON reads a JSON body of at most MaxJSONBytes into v, with 400 for malformed JSON or
// wrong types and 413 for an oversized body.
func (s *Service) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxJSONBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return errorf(http.StatusRequestEntityTooLarge, "JSON body larger than %d bytes", mbe.Limit)
		case errors.As(err, &te):
			return errorf(http.StatusBadRequest, "field %q: want a JSON %s, got %s", te.Field, te.Type, te.Value)
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "empty body: a JSON object is required")
		}
		return errorf(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "JSON body larger than %d bytes", mbe.Limit)
		}
		return errorf(http.StatusBadRequest, "malformed JSON: data after the object")
	}
	return nil
}

type generateResponse struct {
	JobID        string `json:"job_id"`
	Status       string `json:"status"`
	Format       string `json:"format"`
	Quality      any    `json:"quality"`
	QualityLevel string `json:"quality_level"`
	Mode         string `json:"mode"`
	StatusURL    string `json:"status_url"`
	EventsURL    string `json:"events_url"`
}

func (s *Service) handleGenerate(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		s.fail(w, r, errShuttingDown)
		return
	}
	var req generateRequest
	if err := s.decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if req.JobID == "" {
		s.fail(w, r, errorf(http.StatusBadRequest, "missing job_id"))
		return
	}
	q := strings.TrimSpace(string(req.Quality))
	isNumber := false
	switch {
	case q == "" || q == "null":
		q = ""
	case q[0] == '"':
		if err := json.Unmarshal(req.Quality, &q); err != nil {
			s.fail(w, r, errorf(http.StatusBadRequest, "quality: %v", err))
			return
		}
	case q[0] == '-' || ('0' <= q[0] && q[0] <= '9'):
		isNumber = true
	default:
		s.fail(w, r, errorf(http.StatusBadRequest, "quality %s: want an integer from 1 to 10 or a level name", q))
		return
	}
	var dims [3]*float64
	if d := req.Dimensions; d != nil {
		dims = [3]*float64{d.Width, d.Height, d.Depth}
	}
	p, err := parseParams(req.Format, q, isNumber, req.Mode, dims)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !validID(req.JobID) {
		s.fail(w, r, errorf(http.StatusNotFound, "job %q not found", req.JobID))
		return
	}
	e := s.lookup(req.JobID)
	if e == nil {
		s.fail(w, r, errorf(http.StatusNotFound, "job %q not found", req.JobID))
		return
	}
	if err := s.submit(e, p); err != nil {
		var he *httpError
		if errors.As(err, &he) && he.status == http.StatusConflict {
			writeJSON(w, http.StatusConflict, apiError{Error: "Generation already in progress", Status: "conflict", JobID: req.JobID})
			return
		}
		if errors.As(err, &he) && he.status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "5")
		}
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, generateResponse{
		JobID: req.JobID, Status: stateQueued, Format: p.ext, Quality: p.qualityInput,
		QualityLevel: string(p.quality), Mode: string(p.mode),
		StatusURL: "/api/job-status/" + req.JobID, EventsURL: "/api/job-events/" + req.JobID,
	})
}

// registryKey names one generation of a job in the registry.
func registryKey(id string, gen uint64) string { return id + "#" + strconv.FormatUint(gen, 10) }

// submit queues a generation of e with p. A job whose generation is queued or processing gets
// 409 (any second request, identical or not: exactly one generation runs per job at a time);
// a full queue 429; a closing registry 503.
func (s *Service) submit(e *entry, p genParams) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.removed:
		return errorf(http.StatusNotFound, "job %q not found", e.m.ID)
	case e.m.Kind != kindImage:
		return errorf(http.StatusBadRequest, "job %q holds a mesh, not an image to generate from", e.m.ID)
	case inFlight(e.m.State):
		return errorf(http.StatusConflict, "generation already in progress")
	}
	id := e.m.ID
	gen := e.gen + 1
	_, err := s.reg.Submit(id, registryKey(id, gen), func(ctx context.Context, progress func(string, float64)) (struct{}, error) {
		return struct{}{}, s.run(ctx, e, gen, p, progress)
	})
	switch {
	case errors.Is(err, jobs.ErrQueueFull):
		s.metrics.inc(&s.metrics.queueFull)
		return errorf(http.StatusTooManyRequests, "generation queue is full, retry later")
	case errors.Is(err, jobs.ErrClosed):
		return errShuttingDown
	case errors.Is(err, jobs.ErrJobConflict):
		return errorf(http.StatusConflict, "generation already in progress")
	case err != nil:
		return fmt.Errorf("submit generation: %w", err)
	}
	e.gen = gen
	e.m.State, e.m.Error, e.m.Updated = stateQueued, "", time.Now()
	e.m.Format, e.m.Quality, e.m.Mode = p.ext, string(p.quality), string(p.mode)
	e.m.Report, e.m.Seconds = nil, 0
	s.persist(e)
	return nil
}

// errStale ends a generation that was cancelled before it could start or finish.
var errStale = errors.New("generation cancelled")

// run is the work of one generation: it reads the stored upload, generates, writes the model to
// a temporary file and, unless the job was cancelled meanwhile, renames it into place and marks
// the job completed. Failures mark the job failed with the reason.
func (s *Service) run(ctx context.Context, e *entry, gen uint64, p genParams, progress func(string, float64)) (err error) {
	e.mu.Lock()
	if e.gen != gen || e.m.State != stateQueued || e.removed {
		e.mu.Unlock()
		return errStale
	}
	id := e.m.ID
	e.m.State, e.m.Updated = stateProcessing, time.Now()
	s.persist(e)
	e.mu.Unlock()

	start := time.Now()
	dir := s.jobDir(id)
	var tmpName string
	var report []byte
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("generation panicked: %v", v)
		}
		outcome := s.finish(e, gen, p, err, tmpName, report, time.Since(start))
		if outcome != "" {
			s.metrics.generation(outcome, time.Since(start))
		}
	}()

	if d := s.cfg.GenerateDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	img, err := os.ReadFile(filepath.Join(dir, uploadFile))
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	req := p.request(img)
	req.Progress = progress
	res, err := s.gen.Generate(ctx, req)
	if err != nil {
		return &generateError{err}
	}
	if report, err = json.Marshal(res.Report); err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	tmp, err := createTemp(dir)
	if err != nil {
		return err
	}
	tmpName = tmp.Name()
	err = res.Encode(tmp, p.format)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write model: %w", err)
	}
	return nil
}

// finish ends generation gen of e: on success it renames the model into place and marks the
// job completed; on failure it marks it failed. A generation that is no longer the job's live
// one (cancelled, or removed by retention) changes nothing and its temporary file is removed.
// It returns the outcome for the metrics, "" when the generation was stale.
func (s *Service) finish(e *entry, gen uint64, p genParams, err error, tmpName string, report []byte, took time.Duration) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.gen != gen || e.m.State != stateProcessing || e.removed {
		if tmpName != "" {
			os.Remove(tmpName)
		}
		return stateCanceled
	}
	now := time.Now()
	if err == nil {
		err = os.Rename(tmpName, filepath.Join(s.jobDir(e.m.ID), modelFile(p.ext)))
		if err == nil {
			syncDir(s.jobDir(e.m.ID))
		} else {
			err = fmt.Errorf("store model: %w", err)
		}
	}
	if err != nil {
		if tmpName != "" {
			os.Remove(tmpName)
		}
		e.m.State, e.m.Error = stateFailed, genErrorMessage(err, s.closing.Load())
		s.log.Warn("generation failed", "job_id", e.m.ID, "error", err)
	} else {
		e.m.State, e.m.Error = stateCompleted, ""
		e.m.addModel(p.ext)
		e.m.Report = report
	}
	e.m.Updated, e.m.Seconds = now, took.Seconds()
	s.persist(e)
	return e.m.State
}

// generateError is an error of generator.Generate, whose message is meant for the user.
type generateError struct{ err error }

func (e *generateError) Error() string { return e.err.Error() }
func (e *generateError) Unwrap() error { return e.err }

// genErrorMessage is what a failed job's error says: "interrupted" when a shutdown stopped it,
// the generator's reason (a bad request or image, a backend failure), or, for the server's own
// failures (files), a generic message: their details, paths included, go to the log only.
func genErrorMessage(err error, closing bool) string {
	var ge *generateError
	switch {
	case closing && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		return errInterrupted
	case errors.As(err, &ge):
		return err.Error()
	}
	return "internal error while storing the model"
}

// ---- status, events, cancel ----

// jobStatus is the body of job-status and the data of each job event.
type jobStatus struct {
	JobID       string            `json:"job_id"`
	Status      string            `json:"status"`
	Progress    int               `json:"progress"`
	Stage       string            `json:"stage"`
	Error       *string           `json:"error"`
	DownloadURL *string           `json:"download_url"`
	Downloads   map[string]string `json:"downloads,omitempty"`
	Report      json.RawMessage   `json:"report"`
	Kind        string            `json:"kind"`
	Format      string            `json:"format,omitempty"`
	Quality     string            `json:"quality,omitempty"`
	Mode        string            `json:"mode,omitempty"`
	Filename    string            `json:"filename,omitempty"`
	PreviewURL  string            `json:"preview_url,omitempty"`
	ImageInfo   *imageInfo        `json:"image_info,omitempty"`
	Seconds     float64           `json:"seconds,omitempty"`
	Created     time.Time         `json:"created"`
	Updated     time.Time         `json:"updated"`
}

// statusOf describes e; called with e.mu held. snap, when not nil, is the registry's record of
// the job, used for the progress of a generation in flight.
func statusOf(e *entry, snap *jobs.Snapshot[struct{}]) jobStatus {
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
		st.Error = &msg
	}
	if len(m.Models) > 0 {
		st.Downloads = make(map[string]string, len(m.Models))
		for _, ext := range m.Models {
			st.Downloads[ext] = downloadURL(m.ID, ext)
		}
	}
	if m.State == stateCompleted && slices.Contains(m.Models, m.Format) {
		u := downloadURL(m.ID, m.Format)
		st.DownloadURL = &u
		st.Progress, st.Stage = 100, "done"
	}
	if inFlight(m.State) && snap != nil && snap.Key == registryKey(m.ID, e.gen) {
		st.Stage = snap.Stage
		st.Progress = int(math.Floor(snap.Fraction * 100))
		switch snap.State {
		case jobs.Queued:
			st.Status = stateQueued
		case jobs.Running:
			st.Status = stateProcessing
		case jobs.Canceled:
			st.Status = stateFailed // cancelled by a shutdown before the work function saw it
			msg := errInterrupted
			st.Error = &msg
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
		writeError(w, http.StatusNotFound, "job not found")
		return nil
	}
	return e
}

// currentStatus describes e now.
func (s *Service) currentStatus(e *entry) jobStatus {
	e.mu.Lock()
	id, live := e.m.ID, inFlight(e.m.State)
	e.mu.Unlock()
	var snap *jobs.Snapshot[struct{}]
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
	var ch <-chan jobs.Event[struct{}]
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

// ---- files ----

// downloadExt returns the extension of a download name: only model.stl, model.obj, model.glb
// and model.ply are served.
func downloadExt(name string) (string, bool) {
	ext, ok := strings.CutPrefix(name, "model.")
	if !ok || !slices.Contains(modelFormats, ext) {
		return "", false
	}
	return ext, true
}

func (s *Service) handleDownload(w http.ResponseWriter, r *http.Request) {
	ext, ok := downloadExt(r.PathValue("name"))
	if !ok {
		writeError(w, http.StatusBadRequest, "unknown file: want model.stl, model.obj, model.glb or model.ply")
		return
	}
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	// The validator is read before the file is opened: a regeneration finishing in between
	// pairs the new file with the old tag (the client just fetches it again), never the reverse.
	e.mu.Lock()
	id, has, updated := e.m.ID, slices.Contains(e.m.Models, ext), e.m.Updated
	e.mu.Unlock()
	if !has {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s model for this job", ext))
		return
	}
	f, err := os.Open(filepath.Join(s.jobDir(id), modelFile(ext)))
	if err != nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no %s model for this job", ext))
		return
	}
	defer f.Close()
	format, _ := meshio.ParseFormat(ext)
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Content-Disposition", `attachment; filename="`+modelFile(ext)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	// An ETag that changes with every change of the job, and no Last-Modified: a model
	// regenerated within the same second as the previous one would otherwise pass an
	// If-Modified-Since check, and the client would keep the old model.
	h.Set("ETag", `"`+strconv.FormatInt(updated.UnixNano(), 36)+`"`)
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (s *Service) handlePreview(w http.ResponseWriter, r *http.Request) {
	e := s.entryFor(w, r)
	if e == nil {
		return
	}
	e.mu.Lock()
	id, kind := e.m.ID, e.m.Kind
	e.mu.Unlock()
	if kind != kindImage {
		writeError(w, http.StatusNotFound, "this job has no image")
		return
	}
	f, err := os.Open(filepath.Join(s.jobDir(id), uploadFile))
	if err != nil {
		writeError(w, http.StatusNotFound, "this job has no image")
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", fi.ModTime(), f)
}

// ---- batch ----

type rejected struct {
	Filename string `json:"filename"`
	Error    string `json:"error"`
	JobID    string `json:"job_id,omitempty"` // set when the image was stored but not queued
}

type batchResponse struct {
	JobIDs    []string   `json:"job_ids"`
	TotalJobs int        `json:"total_jobs"`
	Rejected  []rejected `json:"rejected"`
	Format    string     `json:"format"`
	Quality   any        `json:"quality"`
	Mode      string     `json:"mode"`
}

// handleBatch stores every valid image in files[] as a new job and queues its generation with
// the form's format, quality and mode. Files that fail validation, and generations the queue
// refuses, are listed in rejected with the reason; the request fails as a whole (400) only when
// the parameters are bad or nothing was accepted.
func (s *Service) handleBatch(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		s.fail(w, r, errShuttingDown)
		return
	}
	var stored []*entry
	var rej []rejected
	files := 0
	removeStored := func() {
		for _, e := range stored {
			s.remove(e)
		}
	}
	fields, err := s.readForm(w, r, 4*s.cfg.MaxUploadBytes+1<<20, func(f formFile) error {
		if f.field != "files[]" && f.field != "files" {
			return nil
		}
		files++
		if files > s.cfg.MaxBatchFiles {
			rej = append(rej, rejected{Filename: f.filename, Error: fmt.Sprintf("more than %d files in one batch", s.cfg.MaxBatchFiles)})
			return nil
		}
		e, err := s.storeUpload(r.Context(), f)
		if err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				return err
			}
			rej = append(rej, rejected{Filename: f.filename, Error: he.msg})
			return nil
		}
		stored = append(stored, e)
		return nil
	})
	if err != nil {
		removeStored()
		s.fail(w, r, err)
		return
	}
	q := fields["quality"]
	p, err := parseParams(fields["format"], q, q != "" && (q[0] == '-' || '0' <= q[0] && q[0] <= '9'), fields["mode"], [3]*float64{})
	if err != nil {
		removeStored()
		s.fail(w, r, err)
		return
	}
	if files == 0 {
		s.fail(w, r, errorf(http.StatusBadRequest, "no files in the form field \"files[]\""))
		return
	}
	resp := batchResponse{JobIDs: []string{}, Rejected: rej, Format: p.ext, Quality: p.qualityInput, Mode: string(p.mode)}
	for _, e := range stored {
		id, name := e.m.ID, e.m.Filename
		if err := s.submit(e, p); err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				he = errorf(http.StatusInternalServerError, "internal error")
				s.log.Error("batch submit", "request_id", requestID(r.Context()), "job_id", id, "error", err)
			}
			resp.Rejected = append(resp.Rejected, rejected{Filename: name, Error: he.msg, JobID: id})
			continue
		}
		resp.JobIDs = append(resp.JobIDs, id)
	}
	if resp.Rejected == nil {
		resp.Rejected = []rejected{}
	}
	resp.TotalJobs = len(resp.JobIDs)
	code := http.StatusAccepted
	if resp.TotalJobs == 0 {
		code = http.StatusBadRequest
	}
	writeJSON(w, code, resp)
}

// remove forgets a job and deletes its folder.
func (s *Service) remove(e *entry) {
	e.mu.Lock()
	e.removed = true
	id := e.m.ID
	e.mu.Unlock()
	s.mu.Lock()
	delete(s.entries, id)
	s.mu.Unlock()
	os.RemoveAll(s.jobDir(id))
}

// ---- text to image ----

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
