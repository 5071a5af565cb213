package service

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/jobs"
)

// routes builds the mux and wraps it in the middleware, outermost first: recovery, request ID,
// logs and metrics, path hygiene, CORS, rate limiting, the data folder's health, the operation
// deadline; the mux's own refusals (no route, wrong method) answer JSON.
func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", s.handleHealth)
	mux.HandleFunc("POST /api/upload-image", s.handleUpload)
	mux.HandleFunc("POST /api/generate-3d", s.handleGenerate)
	mux.HandleFunc("GET /api/job-status/{job_id}", s.handleStatus)
	mux.HandleFunc("GET /api/job-events/{job_id}", s.handleEvents)
	mux.HandleFunc("DELETE /api/jobs/{job_id}", s.handleCancel)
	mux.HandleFunc("GET /api/download/{job_id}/{name}", s.handleDownload)
	mux.HandleFunc("GET /api/download/{job_id}/model.obj.zip", s.handleOBJZip)
	mux.HandleFunc("GET /api/preview-model/{job_id}", s.handleModelPreview)
	mux.HandleFunc("GET /api/preview/{job_id}", s.handlePreview)
	mux.HandleFunc("POST /api/batch-generate", s.handleBatch)
	mux.HandleFunc("POST /api/stl/analyze", s.handleAnalyze)
	mux.HandleFunc("POST /api/stl/repair", s.handleRepair)
	mux.HandleFunc("POST /api/stl/simplify", s.handleSimplify)
	mux.HandleFunc("POST /api/text-to-image", s.handleTextToImage)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	studioRoutes(mux)
	s.mux = mux
	var h http.Handler = jsonRefusals(mux)
	h = s.deadline(h)
	h = s.storageGate(h)
	h = s.rateLimit(h)
	h = s.cors(h)
	h = cleanPaths(h)
	h = s.observe(h)
	return h
}

// recorder captures the status and size of a response. It forwards Flush and exposes the
// underlying writer to http.ResponseController, so server-sent events and write deadlines work.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

type ctxKey int

const requestIDKey ctxKey = 0

// requestID returns the request's ID, set by observe.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// observe gives every request an ID (the client's X-Request-ID when it is short and plain,
// else a fresh one), echoes it in the response, recovers panics as 500, counts the request in
// the metrics by route pattern and status, and logs it. Health checks and metric scrapes are
// logged at debug level, everything else at info.
func (s *Service) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if id == "" || len(id) > 64 || !validID(id) {
			id = jobs.NewID()
		}
		w.Header().Set("X-Request-ID", id)
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "request_id", id, "panic", fmt.Sprint(v))
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, "internal error")
				}
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			route := r.Pattern
			if route == "" && rec.status != http.StatusBadRequest {
				// Refused by a middleware (rate limit, preflight) before the mux ran: label
				// it with the route it was meant for. (A 400 here is a non-canonical path.)
				_, route = s.mux.Handler(r)
			}
			if route == "" {
				route = "unmatched"
			}
			s.metrics.request(route, status)
			level := slog.LevelInfo
			if route == "GET /api/health" || route == "GET /metrics" {
				level = slog.LevelDebug
			}
			s.log.LogAttrs(r.Context(), level, "request",
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Int64("bytes", rec.bytes),
				slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
				slog.String("client", s.clientIP(r)),
			)
		}()
		next.ServeHTTP(rec, r)
	})
}

// cleanPaths refuses, with 400, a path that is not in clean form (dot segments, doubled
// slashes, backslashes, NUL), instead of letting the mux redirect it: a traversal attempt gets
// an error, never a redirect.
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		bad := !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\\x00")
		if !bad {
			c := path.Clean(p)
			if strings.HasSuffix(p, "/") && c != "/" {
				c += "/"
			}
			bad = c != p
		}
		if bad {
			writeError(w, http.StatusBadRequest, "invalid path")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// cors sets the CORS headers for allowed origins and answers preflight requests with 204.
func (s *Service) cors(next http.Handler) http.Handler {
	anyOrigin := slices.Contains(s.cfg.CORSOrigins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := false
		if origin != "" {
			h := w.Header()
			switch {
			case anyOrigin:
				h.Set("Access-Control-Allow-Origin", "*")
				allowed = true
			case slices.Contains(s.cfg.CORSOrigins, origin):
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
				allowed = true
			}
			if allowed {
				h.Set("Access-Control-Expose-Headers", "Content-Disposition, Retry-After, X-Request-ID")
			}
		}
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			if allowed {
				h := w.Header()
				h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-Request-ID")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			writeError(w, http.StatusForbidden, "origin not allowed")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// deadline gives every POST and DELETE request's context the operation deadline
// (Config.OperationTimeout), so that the work it runs (a mesh simplification, a decode) stops
// there; generations get theirs when they start (run). Reads (status, event streams, downloads)
// are bounded by the HTTP server's timeouts instead.
func (s *Service) deadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost || r.Method == http.MethodDelete {
			ctx, cancel := context.WithTimeoutCause(r.Context(), s.cfg.OperationTimeout, errDeadline)
			defer cancel()
			r2 := r.WithContext(ctx)
			next.ServeHTTP(w, r2)
			r.Pattern = r2.Pattern // for observe's metrics and logs
			return
		}
		next.ServeHTTP(w, r)
	})
}

// jsonRefusals answers the requests the mux has no route for (404) or no method for (405, with
// its Allow header) with the JSON error body every other refusal has, instead of the mux's plain
// text.
func jsonRefusals(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		probe := &statusProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == 0 || probe.status < 400 {
			mux.ServeHTTP(w, r) // not a refusal (a redirect): let the mux answer
			return
		}
		if allow := probe.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		msg := "no such route"
		if probe.status == http.StatusMethodNotAllowed {
			msg = "method not allowed on this route"
		}
		writeError(w, probe.status, msg)
	})
}

// statusProbe records what a handler would answer, writing nothing.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header { return p.header }
func (p *statusProbe) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
func (p *statusProbe) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}

// rateLimit applies the per-client token bucket to POST requests.
func (s *Service) rateLimit(next http.Handler) http.Handler {
	if s.limiter == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ip := s.clientIP(r); r.Method == http.MethodPost && !s.rateExempt(ip) {
			if ok, wait := s.limiter.allow(ip, time.Now()); !ok {
				s.metrics.inc(&s.metrics.rateLimited)
				w.Header().Set("Retry-After", retryAfter(wait))
				writeError(w, http.StatusTooManyRequests, fmt.Sprintf("rate limit of %d requests per minute exceeded", s.cfg.RateLimit))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// retryAfter formats a wait as whole seconds, at least 1.
func retryAfter(d time.Duration) string {
	sec := int64((d + time.Second - 1) / time.Second)
	return strconv.FormatInt(max(sec, 1), 10)
}

// clientIP is the client's address without the port: the first X-Forwarded-For entry when
// Config.TrustProxy is set and it parses, else the connection's remote address.
func (s *Service) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(first)); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// writeJSON writes v as JSON with the status code.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":"response encoding failed","status":"error"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// apiError is the body of every error response.
type apiError struct {
	Error   string   `json:"error"`
	Status  string   `json:"status"`
	Details []string `json:"details,omitempty"`
	JobID   string   `json:"job_id,omitempty"`
}

func writeError(w http.ResponseWriter, status int, msg string, details ...string) {
	writeJSON(w, status, apiError{Error: msg, Status: "error", Details: details})
}
