package textimage_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/textimage"
)

func pngBytes() []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	return b.Bytes()
}

// fakeA1111 answers /sdapi/v1/txt2img as the web UI does; fail makes the first n calls 503.
func fakeA1111(t *testing.T, fail int64) (*httptest.Server, *atomic.Int64, *map[string]any) {
	var calls atomic.Int64
	got := map[string]any{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= fail {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Path != "/sdapi/v1/txt2img" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		json.NewDecoder(r.Body).Decode(&got)
		json.NewEncoder(w).Encode(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(pngBytes())}, "info": "{}"})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls, &got
}

func TestA1111(t *testing.T) {
	srv, calls, got := fakeA1111(t, 1)
	p := &textimage.A1111{URL: srv.URL, Options: textimage.Options{RetryDelay: time.Millisecond}}
	img, err := p.TextToImage(context.Background(), textimage.Request{Prompt: "a fox", NegativePrompt: "blur", Steps: 7, Seed: 42})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img, pngBytes()) || calls.Load() != 2 {
		t.Errorf("image %d bytes after %d calls", len(img), calls.Load())
	}
	want := map[string]any{"prompt": "a fox", "negative_prompt": "blur", "steps": 7.0, "width": 512.0, "height": 512.0, "seed": 42.0}
	if fmt.Sprint(*got) != fmt.Sprint(want) {
		t.Errorf("sent %v, want %v", *got, want)
	}
}

func TestOpenAI(t *testing.T) {
	var auth string
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/images/generations" {
			http.NotFound(w, r)
			return
		}
		auth = r.Header.Get("Authorization")
		json.NewDecoder(r.Body).Decode(&got)
		fmt.Fprintf(w, `{"created": 1, "data": [{"b64_json": %q}]}`, base64.StdEncoding.EncodeToString(pngBytes()))
	}))
	defer srv.Close()
	t.Setenv("TEST_IMAGES_KEY", "sk-test")
	p := &textimage.OpenAI{URL: srv.URL, Model: "gpt-image-1", KeyEnv: "TEST_IMAGES_KEY"}
	img, err := p.TextToImage(context.Background(), textimage.Request{Prompt: "a fox", Width: 1024, Height: 1024})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(img, pngBytes()) || auth != "Bearer sk-test" || got["size"] != "1024x1024" || got["response_format"] != "b64_json" || got["model"] != "gpt-image-1" {
		t.Errorf("auth %q, sent %v", auth, got)
	}
}

func TestFailures(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/bad/sdapi/v1/txt2img":
			http.Error(w, `{"detail": "invalid sampler"}`, http.StatusUnprocessableEntity)
		case "/empty/sdapi/v1/txt2img":
			w.Write([]byte(`{"images": []}`))
		case "/huge/sdapi/v1/txt2img":
			w.Header().Set("Content-Length", fmt.Sprint(int64(2<<30)))
			w.Write([]byte("{"))
		case "/slow/sdapi/v1/txt2img":
			select {
			case <-time.After(1500 * time.Millisecond):
			case <-r.Context().Done():
			}
		}
	}))
	defer srv.Close()
	o := textimage.Options{Timeout: 300 * time.Millisecond, RetryDelay: time.Millisecond, MaxResponseBytes: 1 << 20}
	for name, want := range map[string]func(error) bool{
		"bad":   func(err error) bool { var se *textimage.ServerError; return errors.As(err, &se) && se.Status == 422 },
		"empty": func(err error) bool { return errors.Is(err, textimage.ErrInvalidResponse) },
		"huge":  func(err error) bool { return errors.Is(err, textimage.ErrTooLarge) },
		"slow": func(err error) bool {
			return errors.Is(err, textimage.ErrTimeout) && errors.Is(err, context.DeadlineExceeded)
		},
	} {
		calls.Store(0)
		start := time.Now()
		_, err := (&textimage.A1111{URL: srv.URL + "/" + name, Options: o}).TextToImage(context.Background(), textimage.Request{Prompt: "x"})
		if !want(err) {
			t.Errorf("%s: %v", name, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v", name, d)
		}
		if name == "bad" && calls.Load() != 1 {
			t.Errorf("a 422 was retried: %d calls", calls.Load())
		}
	}
	srv.Close()
	if _, err := (&textimage.A1111{URL: srv.URL, Options: o}).TextToImage(context.Background(), textimage.Request{Prompt: "x"}); !errors.Is(err, textimage.ErrUnreachable) {
		t.Errorf("closed server: %v", err)
	}
	if _, err := (&textimage.OpenAI{URL: srv.URL}).TextToImage(context.Background(), textimage.Request{Prompt: " "}); !errors.Is(err, textimage.ErrInvalidRequest) {
		t.Errorf("empty prompt: %v", err)
	}
}

// ExampleA1111 asks a (here fake) AUTOMATIC1111 server for an image.
func ExampleA1111() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"images": []string{base64.StdEncoding.EncodeToString(pngBytes())}})
	}))
	defer srv.Close()
	p := &textimage.A1111{URL: srv.URL}
	img, err := p.TextToImage(context.Background(), textimage.Request{Prompt: "a ceramic fox, studio light"})
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, _ := png.DecodeConfig(bytes.NewReader(img))
	fmt.Println(cfg.Width, cfg.Height)
	// Output: 8 8
}
