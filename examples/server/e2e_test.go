package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// The end-to-end tests build the real server, start it on a loopback port and talk HTTP to it.

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// goTool is the go command: from PATH, else the one of the toolchain running the test.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// serverBinary builds the server once per test run.
func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "orfeas-server-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binDir, binPath = dir, filepath.Join(dir, "server")
		out, err := exec.Command(goTool(), "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// proc is a running server.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs the server on 127.0.0.1:0 over dataDir and waits for the address it prints.
func startServer(t *testing.T, dataDir string, env ...string) *proc {
	t.Helper()
	return startServerArgs(t, dataDir, nil, env...)
}

// startServerArgs is startServer with more flags.
func startServerArgs(t *testing.T, dataDir string, args []string, env ...string) *proc {
	t.Helper()
	cmd := exec.Command(serverBinary(t), append([]string{"-addr", "127.0.0.1:0", "-data", dataDir, "-rate-limit", "0", "-backend", "cpu", "-log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server stderr:\n%s", p.stderr.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case line := <-lines:
		addr, ok := strings.CutPrefix(line, "listening on ")
		if !ok {
			t.Fatalf("first line %q", line)
		}
		p.base = addr
	case err := <-p.done:
		t.Fatalf("server exited: %v\n%s", err, p.stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start\n%s", p.stderr.String())
	}
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(timeout):
		t.Fatalf("server still running after %v", timeout)
	}
	return -1
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	return resp.StatusCode, m
}

func upload(t *testing.T, base, file string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("image", filepath.Base(file))
	fw.Write(data)
	mw.Close()
	resp, err := http.Post(base+"/api/upload-image", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %v", resp.StatusCode, m)
	}
	return m["job_id"].(string)
}

func generate(t *testing.T, base, id, format string) {
	t.Helper()
	resp, err := http.Post(base+"/api/generate-3d", "application/json",
		strings.NewReader(fmt.Sprintf(`{"job_id":%q,"format":%q,"quality":"draft","dimensions":{"width":60}}`, id, format)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("generate %s: %d %s", format, resp.StatusCode, body)
	}
}

// events reads the job's event stream to its end and returns the states and the last event.
func events(t *testing.T, base, id string) (n int, last map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/api/job-events/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			last = nil
			if err := json.Unmarshal([]byte(data), &last); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	return n, last
}

// downloadClosed downloads a model, decodes it and checks that it is a closed solid.
func downloadClosed(t *testing.T, base, id, format string) {
	t.Helper()
	resp, err := http.Get(base + "/api/download/" + id + "/model." + format)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("download %s: %d %s", format, resp.StatusCode, data)
	}
	f, _ := meshio.ParseFormat(format)
	if ct := resp.Header.Get("Content-Type"); ct != f.ContentType() {
		t.Errorf("%s served as %s", format, ct)
	}
	m, err := meshio.Decode(bytes.NewReader(data), f)
	if err != nil {
		t.Fatalf("decode %s: %v", format, err)
	}
	m.Weld(0)
	if topo := m.Topology(); !topo.Closed() || !topo.Outward || len(m.Faces) == 0 {
		t.Errorf("%s model is not a closed solid: %+v", format, topo)
	}
}

func waitStatus(t *testing.T, base, id string, want ...string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, st := getJSON(t, base+"/api/job-status/"+id)
		for _, w := range want {
			if st["status"] == w {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s is %v, want %v", id, st["status"], want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestEndToEnd(t *testing.T) {
	p := startServer(t, t.TempDir())
	if code, h := getJSON(t, p.base+"/api/health"); code != 200 || h["status"] != "healthy" {
		t.Fatalf("health: %d %v", code, h)
	}
	id := upload(t, p.base, "../../testdata/images/horse.png")
	for _, f := range []string{"stl", "obj", "glb", "ply"} {
		generate(t, p.base, id, f)
		n, last := events(t, p.base, id)
		if n == 0 || last["status"] != "completed" || last["download_url"] != "/api/download/"+id+"/model."+f {
			t.Fatalf("%s: %d events, last %v", f, n, last)
		}
		downloadClosed(t, p.base, id, f)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("exit code %d after SIGTERM", code)
	}
}

// TestRestartAfterKill kills the server with SIGKILL in the middle of a generation and starts it
// again on the same data: the completed job stays downloadable and the interrupted one is
// reported failed.
func TestRestartAfterKill(t *testing.T) {
	data := t.TempDir()
	// Each generation waits 3 s before it starts (a test-only hook), so the kill lands
	// mid-generation.
	p := startServer(t, data, "ORFEAS_TEST_GENERATE_DELAY=3s")
	done := upload(t, p.base, "../../testdata/images/horse.png")
	killed := upload(t, p.base, "../../testdata/images/horse.png")
	generate(t, p.base, done, "stl")
	waitStatus(t, p.base, done, "completed")
	generate(t, p.base, killed, "glb")
	waitStatus(t, p.base, killed, "processing")
	p.cmd.Process.Kill()
	p.wait(t, 10*time.Second)

	p2 := startServer(t, data)
	st := waitStatus(t, p2.base, done, "completed")
	if st["download_url"] == nil {
		t.Errorf("completed job after restart: %v", st)
	}
	downloadClosed(t, p2.base, done, "stl")
	st = waitStatus(t, p2.base, killed, "failed")
	if st["error"] != "interrupted" {
		t.Errorf("killed job: %v", st)
	}
	if resp, err := http.Get(p2.base + "/api/download/" + killed + "/model.glb"); err != nil || resp.StatusCode != 404 {
		t.Errorf("download of the interrupted model: %v %v", resp.StatusCode, err)
	}
	// And it can be generated again.
	generate(t, p2.base, killed, "glb")
	waitStatus(t, p2.base, killed, "completed")
	downloadClosed(t, p2.base, killed, "glb")
}

// TestGracefulShutdown sends SIGTERM, or SIGINT, while a generation runs: the running
// generation finishes, the server exits 0, and the model is there after a restart.
func TestGracefulShutdown(t *testing.T) {
	for name, sig := range map[string]syscall.Signal{"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT} {
		t.Run(name, func(t *testing.T) {
			data := t.TempDir()
			p := startServer(t, data, "ORFEAS_TEST_GENERATE_DELAY=1500ms")
			id := upload(t, p.base, "../../testdata/images/horse.png")
			generate(t, p.base, id, "ply")
			waitStatus(t, p.base, id, "processing")
			p.cmd.Process.Signal(sig)
			if code := p.wait(t, 60*time.Second); code != 0 {
				t.Fatalf("exit code %d", code)
			}
			p2 := startServer(t, data)
			waitStatus(t, p2.base, id, "completed")
			downloadClosed(t, p2.base, id, "ply")
		})
	}
}

// TestSecondSignal sends SIGINT while a long generation runs, then, once the server answers 503
// shutting_down and is waiting for it, SIGINT again: the server exits 1 at once, and the
// generation is reported interrupted after a restart.
func TestSecondSignal(t *testing.T) {
	data := t.TempDir()
	p := startServer(t, data, "ORFEAS_TEST_GENERATE_DELAY=10m", "ORFEAS_SHUTDOWN_TIMEOUT=10m")
	id := upload(t, p.base, "../../testdata/images/horse.png")
	generate(t, p.base, id, "stl")
	waitStatus(t, p.base, id, "processing")
	p.cmd.Process.Signal(syscall.SIGINT)
	// While the generation drains, the listener stays open and health answers 503
	// shutting_down on new connections (issue 21 item 7: connections were refused at once, so
	// the documented 503 was never seen); the server waits for the generation, up to the
	// shutdown timeout.
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get(p.base + "/api/health")
		if err != nil {
			t.Fatalf("health during the drain: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), `"shutting_down"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("health 30 s after SIGINT: %d %s", resp.StatusCode, body)
		}
	}
	select {
	case <-p.done:
		t.Fatalf("exited (%d) after the first signal with a generation running", p.cmd.ProcessState.ExitCode())
	case <-time.After(200 * time.Millisecond):
	}
	p.cmd.Process.Signal(syscall.SIGINT)
	if code := p.wait(t, 30*time.Second); code != 1 {
		t.Fatalf("exit code %d after the second signal, want 1", code)
	}
	p2 := startServer(t, data)
	if st := waitStatus(t, p2.base, id, "failed"); st["error"] != "interrupted" {
		t.Errorf("job after the second signal and a restart: %v", st)
	}
}

// TestHostileEndToEnd sends the real server hostile requests: each gets a 4xx with a reason, and
// the server stays healthy.
func TestHostileEndToEnd(t *testing.T) {
	p := startServer(t, t.TempDir(), "ORFEAS_MAX_UPLOAD=1048576")
	id := upload(t, p.base, "../../testdata/images/horse.png")
	multi := func(field, name string, data []byte) (string, io.Reader) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile(field, name)
		fw.Write(data)
		mw.Close()
		return mw.FormDataContentType(), &buf
	}
	bomb, err := os.ReadFile("testdata/bomb.png")
	if err != nil {
		t.Fatal(err)
	}
	type req struct {
		name, method, path, ct string
		body                   func() io.Reader
		status                 int
	}
	var cases []req
	for _, path := range []string{
		"/api/download/" + id + "/../../../../etc/passwd",
		"/api/download/" + id + "/..%2f..%2fmanifest.json",
		"/api/download/" + id + "/manifest.json",
		"/api/download/..%2f..%2f/model.stl",
	} {
		cases = append(cases, req{"traversal " + path, "GET", path, "", nil, 400})
	}
	ct, _ := multi("image", "x.png", nil)
	cases = append(cases,
		req{"oversized upload", "POST", "/api/upload-image", "", func() io.Reader {
			_, b := multi("image", "big.png", bytes.Repeat([]byte("A"), 2<<20))
			return b
		}, 413},
		req{"oversized JSON", "POST", "/api/generate-3d", "application/json", func() io.Reader {
			return strings.NewReader(`{"job_id":"` + strings.Repeat("x", 2<<20) + `"}`)
		}, 413},
		req{"malformed JSON", "POST", "/api/generate-3d", "application/json", func() io.Reader { return strings.NewReader(`{"job_id": [`) }, 400},
		req{"malformed multipart", "POST", "/api/upload-image", ct, func() io.Reader { return strings.NewReader("--nope\r\ngarbage") }, 400},
		req{"script as image", "POST", "/api/upload-image", "", func() io.Reader {
			_, b := multi("image", "cat.png", []byte("<?php system($_GET['c']); ?>"))
			return b
		}, 400},
		req{"PNG bomb", "POST", "/api/upload-image", "", func() io.Reader {
			_, b := multi("image", "bomb.png", bomb)
			return b
		}, 400},
	)
	for _, c := range cases {
		var body io.Reader
		ctype := c.ct
		if c.body != nil {
			body = c.body()
		}
		r, err := http.NewRequest(c.method, p.base+c.path, body)
		if err != nil {
			t.Fatal(err)
		}
		r.URL.Opaque = "//" + r.URL.Host + c.path
		if ctype != "" {
			r.Header.Set("Content-Type", ctype)
		} else if mb, ok := body.(*bytes.Buffer); ok {
			r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundaryOf(mb.Bytes()))
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		if resp.StatusCode != c.status || m["error"] == nil || m["error"] == "" {
			t.Errorf("%s: %d %v, want %d with a reason", c.name, resp.StatusCode, m, c.status)
		}
	}
	if code, h := getJSON(t, p.base+"/api/health"); code != 200 || h["status"] != "healthy" {
		t.Errorf("health after hostile requests: %d %v", code, h)
	}
}

// boundaryOf reads the boundary from the first line of a multipart body.
func boundaryOf(body []byte) string {
	line, _, _ := bytes.Cut(body, []byte("\r\n"))
	return string(bytes.TrimPrefix(line, []byte("--")))
}
