// Package textimage turns a prompt into image bytes through an HTTP image-generation service.
// Two real clients implement Provider: A1111 (AUTOMATIC1111 / Forge's POST /sdapi/v1/txt2img)
// and OpenAI (an OpenAI-compatible POST /v1/images/generations with b64_json answers and a
// bearer key read from an environment variable).
//
// The bytes a Provider returns come from another machine: decode them through package
// imagecheck, as any upload (the generator and the example server do).
//
// Every call is bounded: by ctx, by Options.Timeout, by MaxResponseBytes, with retries (with
// exponential backoff) on connection errors and 5xx answers only. Errors are typed:
// ErrUnreachable, *ServerError (with the service's text), ErrInvalidResponse, ErrTooLarge,
// ErrTimeout.
package textimage

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var (
	// ErrUnreachable is wrapped when the service cannot be reached after the retries.
	ErrUnreachable = errors.New("textimage: service unreachable")
	// ErrInvalidResponse is wrapped when the answer holds no image.
	ErrInvalidResponse = errors.New("textimage: invalid response")
	// ErrTooLarge is wrapped when the answer exceeds MaxResponseBytes.
	ErrTooLarge = errors.New("textimage: response too large")
	// ErrTimeout is wrapped (with context.DeadlineExceeded) when Options.Timeout passes.
	ErrTimeout = errors.New("textimage: timed out")
	// ErrInvalidRequest is wrapped for an empty prompt or a bad size or URL.
	ErrInvalidRequest = errors.New("textimage: invalid request")
)

// ServerError is a non-200 answer, with the service's message.
type ServerError struct {
	Status int
	Text   string
}

// Error returns "textimage: server error 500: text".
func (e *ServerError) Error() string {
	return fmt.Sprintf("textimage: server error %d: %s", e.Status, e.Text)
}

// Request is one prompt. Zero fields take the Provider's defaults (512 × 512, 20 steps, a
// random seed where the service picks one: Seed 0 means -1 for A1111).
type Request struct {
	Prompt         string
	NegativePrompt string
	Width, Height  int
	Steps          int
	Seed           int64
}

// Provider turns a prompt into the bytes of one encoded image (PNG usually).
type Provider interface {
	TextToImage(ctx context.Context, req Request) ([]byte, error)
}

// Options are what both clients share. The zero value means the defaults.
type Options struct {
	// Timeout bounds one call, retries included (default 5 min).
	Timeout time.Duration
	// Retries after a connection error or a 5xx answer (default 2; negative: none), the first
	// after RetryDelay (default 500 ms), doubling.
	Retries    int
	RetryDelay time.Duration
	// MaxResponseBytes bounds an answer (default 64 MiB).
	MaxResponseBytes int64
	// Client is the HTTP client (default http.DefaultClient's transport, no overall timeout).
	Client *http.Client
}

func (o Options) defaults() Options {
	o.Timeout = cmp.Or(o.Timeout, 5*time.Minute)
	if o.Retries == 0 {
		o.Retries = 2
	}
	o.Retries = max(0, o.Retries)
	o.RetryDelay = cmp.Or(o.RetryDelay, 500*time.Millisecond)
	o.MaxResponseBytes = cmp.Or(o.MaxResponseBytes, 64<<20)
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	return o
}

// A1111 is a client of an AUTOMATIC1111 / Forge web UI started with --api.
type A1111 struct {
	// URL is the service's base URL, such as "http://sd-box:7860".
	URL string
	Options
}

// TextToImage posts {prompt, negative_prompt, steps, width, height, seed} to
// /sdapi/v1/txt2img and returns the first of the answer's base64 "images".
func (a *A1111) TextToImage(ctx context.Context, req Request) ([]byte, error) {
	if err := check(a.URL, &req); err != nil {
		return nil, err
	}
	seed := req.Seed
	if seed == 0 {
		seed = -1
	}
	body, _ := json.Marshal(map[string]any{
		"prompt": req.Prompt, "negative_prompt": req.NegativePrompt, "steps": cmp.Or(req.Steps, 20),
		"width": req.Width, "height": req.Height, "seed": seed,
	})
	data, err := post(ctx, a.Options.defaults(), strings.TrimRight(a.URL, "/")+"/sdapi/v1/txt2img", "", body)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Images []string `json:"images"`
	}
	if err := json.Unmarshal(data, &ans); err != nil || len(ans.Images) == 0 {
		return nil, fmt.Errorf("%w: no images in the answer", ErrInvalidResponse)
	}
	return decode64(ans.Images[0])
}

// OpenAI is a client of an OpenAI-compatible images API.
type OpenAI struct {
	// URL is the base URL, such as "https://api.openai.com" (the path /v1/images/generations is
	// appended).
	URL string
	// Model is sent when not empty (such as "dall-e-3" or "gpt-image-1").
	Model string
	// KeyEnv names the environment variable holding the bearer key (default OPENAI_API_KEY); an
	// unset or empty variable sends no Authorization header (local servers need none).
	KeyEnv string
	Options
}

// TextToImage posts {prompt, size "WxH", response_format "b64_json", n 1} to
// /v1/images/generations and returns data[0].b64_json.
func (o *OpenAI) TextToImage(ctx context.Context, req Request) ([]byte, error) {
	if err := check(o.URL, &req); err != nil {
		return nil, err
	}
	m := map[string]any{"prompt": req.Prompt, "size": fmt.Sprintf("%dx%d", req.Width, req.Height), "response_format": "b64_json", "n": 1}
	if o.Model != "" {
		m["model"] = o.Model
	}
	body, _ := json.Marshal(m)
	data, err := post(ctx, o.Options.defaults(), strings.TrimRight(o.URL, "/")+"/v1/images/generations", lookupKey(cmp.Or(o.KeyEnv, "OPENAI_API_KEY")), body)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Data []struct {
			B64 string `json:"b64_json"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &ans); err != nil || len(ans.Data) == 0 || ans.Data[0].B64 == "" {
		return nil, fmt.Errorf("%w: no data[0].b64_json in the answer", ErrInvalidResponse)
	}
	return decode64(ans.Data[0].B64)
}

// check validates the URL and prompt and applies the size default.
func check(base string, req *Request) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%w: URL %q must be an absolute http or https URL", ErrInvalidRequest, base)
	}
	if strings.TrimSpace(req.Prompt) == "" {
		return fmt.Errorf("%w: empty prompt", ErrInvalidRequest)
	}
	req.Width, req.Height = cmp.Or(req.Width, 512), cmp.Or(req.Height, 512)
	if req.Width < 64 || req.Height < 64 || req.Width > 4096 || req.Height > 4096 {
		return fmt.Errorf("%w: size %d×%d, want 64 to 4096 per side", ErrInvalidRequest, req.Width, req.Height)
	}
	return nil
}

func decode64(s string) ([]byte, error) {
	if i := strings.Index(s, ";base64,"); i >= 0 && strings.HasPrefix(s, "data:") {
		s = s[i+len(";base64,"):]
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, fmt.Errorf("%w: the image is not base64", ErrInvalidResponse)
	}
	return b, nil
}

// post makes the call with retries on connection errors and 5xx answers.
func post(ctx context.Context, o Options, target, key string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	delay := o.RetryDelay
	var last error
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, ctxErr(ctx)
			}
			delay *= 2
		}
		data, retry, err := once(ctx, o, target, key, body)
		if err == nil {
			return data, nil
		}
		if ctx.Err() != nil {
			return nil, ctxErr(ctx)
		}
		if !retry {
			return nil, err
		}
		last = err
	}
	return nil, last
}

func ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("textimage: %w", ctx.Err())
}

func once(ctx context.Context, o Options, target, key string, body []byte) ([]byte, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("%w: %v", ErrInvalidRequest, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := o.Client.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.ContentLength > o.MaxResponseBytes {
		return nil, false, fmt.Errorf("%w: %d bytes claimed, the limit is %d", ErrTooLarge, resp.ContentLength, o.MaxResponseBytes)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, resp.StatusCode >= 500, &ServerError{Status: resp.StatusCode, Text: strings.TrimSpace(string(msg))}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, o.MaxResponseBytes+1))
	if err != nil {
		return nil, true, fmt.Errorf("%w: reading the answer: %v", ErrUnreachable, err)
	}
	if int64(len(data)) > o.MaxResponseBytes {
		return nil, false, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, o.MaxResponseBytes)
	}
	return data, false, nil
}
