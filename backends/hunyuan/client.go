package hunyuan

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Params is the body of Hunyuan3D-2's POST /generate and POST /send (api_server.py): exactly
// one of Image (base64 PNG or JPEG) and Text.
type Params struct {
	Image            string  `json:"image,omitempty"`
	Text             string  `json:"text,omitempty"`
	Seed             int     `json:"seed"`
	OctreeResolution int     `json:"octree_resolution"`
	Steps            int     `json:"num_inference_steps"`
	GuidanceScale    float64 `json:"guidance_scale"`
	Texture          bool    `json:"texture"`
	FaceCount        int     `json:"face_count"`
	Type             string  `json:"type"`
}

// fetch returns the model bytes for p, by /generate or by /send and /status.
func (b *Backend) fetch(ctx context.Context, p *Params, progress func(float64)) ([]byte, error) {
	body, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("hunyuan: encoding the request: %w", err)
	}
	if !b.opt.Async {
		return b.call(ctx, http.MethodPost, "/generate", body, true)
	}
	resp, err := b.call(ctx, http.MethodPost, "/send", body, false)
	if err != nil {
		return nil, err
	}
	var sent struct {
		UID string `json:"uid"`
	}
	if err := json.Unmarshal(resp, &sent); err != nil || sent.UID == "" {
		return nil, fmt.Errorf("%w: /send answered %q, want {\"uid\": ...}", ErrInvalidModel, clip(resp))
	}
	// A failed job stays "processing" forever: the job deadline (ctx, from Options.Timeout) is
	// what ends the wait.
	wait := b.opt.PollInterval
	for polls := 0; ; polls++ {
		resp, err := b.call(ctx, http.MethodGet, "/status/"+sent.UID, nil, false)
		if err != nil {
			return nil, err
		}
		var st struct {
			Status string `json:"status"`
			Model  string `json:"model_base64"`
		}
		if err := json.Unmarshal(resp, &st); err != nil {
			return nil, fmt.Errorf("%w: /status answered %q", ErrInvalidModel, clip(resp))
		}
		switch st.Status {
		case "completed":
			data, err := base64.StdEncoding.DecodeString(st.Model)
			if err != nil {
				return nil, fmt.Errorf("%w: model_base64: %v", ErrInvalidModel, err)
			}
			return data, nil
		case "processing", "texturing", "":
		default:
			return nil, fmt.Errorf("%w: unknown job status %q", ErrInvalidModel, st.Status)
		}
		progress(1 - 1/float64(polls+2))
		if err := sleep(ctx, wait); err != nil {
			return nil, b.ctxErr(ctx, err)
		}
		wait = min(wait*3/2, 4*b.opt.PollInterval)
	}
}

// call makes one request with retries on connection errors and 5xx answers, with exponential
// backoff from Options.RetryDelay. model marks a /generate call, whose answer is the model file;
// the others answer JSON. Every answer is read to at most Options.MaxResponseBytes (JSON answers
// carry the model in base64, so the same bound holds).
func (b *Backend) call(ctx context.Context, method, path string, body []byte, model bool) ([]byte, error) {
	delay := b.opt.RetryDelay
	var last error
	for attempt := 0; attempt <= b.opt.Retries; attempt++ {
		if attempt > 0 {
			if err := sleep(ctx, delay); err != nil {
				return nil, b.ctxErr(ctx, err)
			}
			delay *= 2
		}
		data, err := b.once(ctx, method, path, body)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, b.ctxErr(ctx, err)
		}
		var se *ServerError
		switch {
		case errors.As(err, &se) && se.temporary():
		case errors.Is(err, ErrUnreachable):
		default:
			return nil, err // 4xx, too large, bad answer: a retry would get the same
		}
		last = err
	}
	return nil, last
}

// once makes one request.
func (b *Backend) once(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("hunyuan: %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.do(ctx, req, b.headerTimeout(path))
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, ErrTimeout) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s %s: %v", ErrUnreachable, method, path, err)
	}
	defer resp.Body.Close()
	max := b.opt.MaxResponseBytes
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: %s %s claims %d bytes, the limit is %d", ErrTooLarge, method, path, resp.ContentLength, max)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, serverError(resp.StatusCode, msg)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		// A body cut short is a broken connection: retried like one.
		return nil, fmt.Errorf("%w: %s %s: reading the answer: %v", ErrUnreachable, method, path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %s %s: more than %d bytes", ErrTooLarge, method, path, max)
	}
	return data, nil
}

// headerTimeout is the bound on the wait for path's answer headers (0: none).
func (b *Backend) headerTimeout(path string) time.Duration {
	d := b.opt.HeaderTimeout
	if d < 0 {
		return 0
	}
	if path != "/generate" {
		d = min(d, QuickHeaderTimeout)
	}
	return d
}

// errHeaderTimeout cancels a request whose headers did not come within its bound.
var errHeaderTimeout = errors.New("hunyuan: no response headers in time")

// do sends req (made with ctx) and waits at most d (0: no bound) for its answer's headers; the
// body is read under ctx alone. The bound is a per-request timer, not the transport's
// ResponseHeaderTimeout, so that it holds for an Options.Client too. A passed bound wraps
// ErrTimeout and context.DeadlineExceeded.
func (b *Backend) do(ctx context.Context, req *http.Request, d time.Duration) (*http.Response, error) {
	if d <= 0 {
		return b.client.Do(req)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(d, func() { cancel(errHeaderTimeout) })
	resp, err := b.client.Do(req.WithContext(rctx))
	if !t.Stop() && err == nil {
		// The timer fired as the headers came: the body's reads would fail; count it as late.
		resp.Body.Close()
		err = errHeaderTimeout
	}
	if err != nil {
		cancel(nil)
		if errors.Is(context.Cause(rctx), errHeaderTimeout) && ctx.Err() == nil {
			return nil, fmt.Errorf("%w: %s %s: no response headers within %v: %w", ErrTimeout, req.Method, req.URL.Path, d, context.DeadlineExceeded)
		}
		return nil, err
	}
	resp.Body = &cancelBody{resp.Body, cancel}
	return resp, nil
}

// cancelBody releases its request's context when closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (c *cancelBody) Close() error {
	err := c.ReadCloser.Close()
	c.cancel(nil)
	return err
}

// serverError reads api_server's {"text", "error_code"} body, or keeps the body's start.
func serverError(status int, body []byte) *ServerError {
	var e struct {
		Text string          `json:"text"`
		Code json.RawMessage `json:"error_code"`
	}
	se := &ServerError{Status: status}
	if json.Unmarshal(body, &e) == nil && e.Text != "" {
		se.Text = e.Text
		se.Code, _ = strconv.Atoi(strings.Trim(string(e.Code), `"`))
		return se
	}
	se.Text = clip(body)
	if se.Text == "" {
		se.Text = http.StatusText(status)
	}
	return se
}

// ctxErr words a context error: a passed deadline wraps ErrTimeout and the context's error.
func (b *Backend) ctxErr(ctx context.Context, cause error) error {
	err := ctx.Err()
	if err == nil {
		return cause
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(context.Cause(ctx), errTimeout) {
		return fmt.Errorf("%w after %v: %w", ErrTimeout, b.opt.Timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("hunyuan: %w", err)
}

// errTimeout is the cause of Options.Timeout's context.
var errTimeout = errors.New("hunyuan: job deadline")

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// clip returns at most 200 bytes of b as text.
func clip(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// newTransport is the default client's transport: no proxy from the environment surprises, and
// dial and TLS handshake bounded (the answer itself may take minutes: the model runs first).
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
}
