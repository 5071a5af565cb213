package main

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/backends/hunyuan"
	"github.com/orfeas3d/orfeas/examples/server/internal/service"
)

func TestParseFlagsAndEnv(t *testing.T) {
	env := map[string]string{
		"ORFEAS_ADDR":         "127.0.0.1:9999",
		"ORFEAS_DATA":         "/srv/orfeas",
		"ORFEAS_RATE_LIMIT":   "0",
		"ORFEAS_CORS_ORIGINS": "https://a.example, https://b.example",
		"ORFEAS_RETENTION":    "2h",
	}
	s, err := parse([]string{"-addr", "127.0.0.1:0", "-workers", "3"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	c := s.cfg
	if s.addr != "127.0.0.1:0" || c.DataDir != "/srv/orfeas" || c.Workers != 3 || c.RateLimit != -1 ||
		c.Retention != 2*time.Hour || !slices.Equal(c.CORSOrigins, []string{"https://a.example", "https://b.example"}) ||
		s.shutdownTimeout != 30*time.Second || s.readHeaderTimeout != 10*time.Second || c.GenerateDelay != 0 {
		t.Errorf("parsed %+v", s)
	}

	_, err = parse([]string{"-workers", "many", "-retention", "soon", "-log-format", "xml"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-workers") || !strings.Contains(err.Error(), "-retention") || !strings.Contains(err.Error(), "-log-format") {
		t.Errorf("bad flags: %v", err)
	}
	if code := run([]string{"-nosuchflag"}, func(string) string { return "" }, io.Discard, io.Discard); code != 2 {
		t.Errorf("exit code %d for a bad flag", code)
	}
}

// TestParseOperationFlags: -operation-timeout and -decode-memory reach the service's Config
// (OperationTimeout, DecodeMemory) from a flag or from the environment, default to the
// service's defaults, and refuse values that would mean no limit.
func TestParseOperationFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	s, err := parse(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.OperationTimeout != service.DefaultOperationTimeout || s.cfg.DecodeMemory != service.DefaultDecodeMemory {
		t.Errorf("defaults: operation timeout %v, decode memory %d", s.cfg.OperationTimeout, s.cfg.DecodeMemory)
	}

	s, err = parse([]string{"-operation-timeout", "90s", "-decode-memory", "536870912"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.OperationTimeout != 90*time.Second || s.cfg.DecodeMemory != 512<<20 {
		t.Errorf("from flags: operation timeout %v, decode memory %d", s.cfg.OperationTimeout, s.cfg.DecodeMemory)
	}

	env := map[string]string{"ORFEAS_OPERATION_TIMEOUT": "3m", "ORFEAS_DECODE_MEMORY": "1073741824"}
	s, err = parse(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.OperationTimeout != 3*time.Minute || s.cfg.DecodeMemory != 1<<30 {
		t.Errorf("from the environment: operation timeout %v, decode memory %d", s.cfg.OperationTimeout, s.cfg.DecodeMemory)
	}
	s, err = parse([]string{"-operation-timeout", "10s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || s.cfg.OperationTimeout != 10*time.Second {
		t.Errorf("a flag over the environment: %v, %v", s, err)
	}

	for _, args := range [][]string{
		{"-operation-timeout", "0"}, {"-operation-timeout", "-1m"}, {"-operation-timeout", "soon"},
		{"-decode-memory", "0"}, {"-decode-memory", "-5"}, {"-decode-memory", "2GB"},
	} {
		if _, err := parse(args, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("%q: %v, want an error naming %s", args, err, args[0])
		}
	}
}

// TestServerTimeouts checks the http.Server gets every timeout from the settings, and that none
// is zero (no limit) by default.
func TestServerTimeouts(t *testing.T) {
	noEnv := func(string) string { return "" }
	s, err := parse(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(s, http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout != 10*time.Second || srv.ReadTimeout != 2*time.Minute || srv.WriteTimeout != 2*time.Minute || srv.IdleTimeout != 2*time.Minute {
		t.Errorf("default timeouts: read header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}
	if srv.MaxHeaderBytes == 0 {
		t.Error("no header size limit")
	}

	env := map[string]string{"ORFEAS_IDLE_TIMEOUT": "41s"}
	s, err = parse([]string{"-read-header-timeout", "3s", "-read-timeout", "17s", "-write-timeout", "29s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	srv = newHTTPServer(s, http.NotFoundHandler(), nil)
	if srv.ReadHeaderTimeout != 3*time.Second || srv.ReadTimeout != 17*time.Second || srv.WriteTimeout != 29*time.Second || srv.IdleTimeout != 41*time.Second {
		t.Errorf("timeouts from flags and env: read header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
	}

	// Zero or negative would mean no limit: refused.
	_, err = parse([]string{"-read-timeout", "0", "-idle-timeout", "-1s"}, noEnv, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "-read-timeout") || !strings.Contains(err.Error(), "-idle-timeout") {
		t.Errorf("zero and negative timeouts: %v", err)
	}
}

// The model flags reach the settings from flags or the environment; a missing model stops the
// server at startup with exit status 2, naming the flag.
func TestModelFlags(t *testing.T) {
	env := map[string]string{"ORFEAS_DEPTH_MODEL": "/models/depth.onnx", "ORFEAS_ONNXRUNTIME_LIB": "/lib/ort.so"}
	s, err := parse([]string{"-segment-model", "/models/isnet.onnx", "-onnx-provider", "auto"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.models; m.SegmentModel != "/models/isnet.onnx" || m.DepthModel != "/models/depth.onnx" || m.Runtime != "/lib/ort.so" || m.Provider != "auto" {
		t.Errorf("models %+v", m)
	}
	var stderr strings.Builder
	dir := t.TempDir()
	code := run([]string{"-data", dir, "-addr", "127.0.0.1:0", "-segment-model", dir + "/nope.onnx"}, func(string) string { return "" }, io.Discard, &stderr)
	if code != 2 || !strings.Contains(stderr.String(), "-segment-model") {
		t.Errorf("exit %d, stderr %q; want 2 naming -segment-model", code, stderr.String())
	}
}

// TestParseHunyuanFlags: the hunyuan client's settings reach service.Config.Hunyuan from flags
// and the environment, and a rest the client does not know, or a texture that is not a
// boolean, is refused at startup.
func TestParseHunyuanFlags(t *testing.T) {
	env := map[string]string{"ORFEAS_HUNYUAN_URL": "http://gpu:8080", "ORFEAS_HUNYUAN_REST": "stable"}
	s, err := parse([]string{"-backend", "hunyuan", "-hunyuan-texture", "true", "-hunyuan-timeout", "20m",
		"-hunyuan-header-timeout", "40s"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	h := s.cfg.Hunyuan
	if h.URL != "http://gpu:8080" || !h.Texture || h.Timeout != 20*time.Minute || h.HeaderTimeout != 40*time.Second || h.Rest != hunyuan.RestStableFace {
		t.Errorf("hunyuan options %+v", h)
	}
	noEnv := func(string) string { return "" }
	if _, err := parse([]string{"-hunyuan-rest", "upside-down"}, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), "-hunyuan-rest") {
		t.Errorf("bad rest: %v", err)
	}
	if _, err := parse([]string{"-hunyuan-texture", "maybe"}, noEnv, io.Discard); err == nil || !strings.Contains(err.Error(), "-hunyuan-texture") {
		t.Errorf("bad texture: %v", err)
	}
}
