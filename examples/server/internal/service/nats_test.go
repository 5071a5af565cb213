package service

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/orfeas3d/orfeas/examples/server/internal/natstest"
)

// startFunc starts a service for a test, with mod applied to its Config, and returns it with a
// test server in front of it (see testService).
type startFunc func(t *testing.T, mod func(*Config)) (*Service, *httptest.Server)

// modes are the constructors the route tests run on: the single-machine service, and on NATS
// JetStream a front end with a separate worker service behind it, on an embedded nats-server.
var modes = []struct {
	name  string
	start startFunc
}{
	{"local", testService},
	{"nats", testNATSService},
}

// forModes runs f as a subtest on each mode, so that the same assertions hold on both.
func forModes(t *testing.T, f func(t *testing.T, start startFunc)) {
	for _, m := range modes {
		t.Run(m.name, func(t *testing.T) { f(t, m.start) })
	}
}

// natsService starts a service with role on ns, its own data folder and connection, with mod
// applied, shut down when the test ends. The heartbeats are quick so that a redelivery is too.
func natsService(t *testing.T, ns *server.Server, role string, mod func(*Config)) *Service {
	t.Helper()
	cfg := Config{
		DataDir: t.TempDir(), Backend: "cpu", RateLimit: -1, Workers: 2,
		AckWait: 2 * time.Second, natsStorage: jetstream.MemoryStorage,
	}
	if mod != nil {
		mod(&cfg)
	}
	cfg.NATSConn, cfg.Role = natstest.Connect(t, ns), role
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// testNATSService is testService on NATS: a front end (returned, with its test server) and a
// worker, two services on one embedded nats-server.
func testNATSService(t *testing.T, mod func(*Config)) (*Service, *httptest.Server) {
	t.Helper()
	ns := natstest.Start(t)
	natsService(t, ns, RoleWorker, mod)
	front := natsService(t, ns, RoleFront, mod)
	ts := httptest.NewServer(front.Handler())
	t.Cleanup(ts.Close)
	return front, ts
}

// jobFiles lists the stored files of job id, sorted: its folder's on the local disk, its blobs
// and manifest on NATS. None when the job has none (or no longer exists).
func jobFiles(t *testing.T, s *Service, id string) []string {
	t.Helper()
	if s.cl == nil {
		es, err := os.ReadDir(s.jobDir(id))
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	names, err := s.cl.c.BlobNames(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.cl.c.Entry(t.Context(), id); err == nil {
		names = append(names, manifestFile)
	}
	slices.Sort(names)
	return names
}

// jobIDs lists the jobs the service stores.
func jobIDs(t *testing.T, s *Service) []string {
	t.Helper()
	if s.cl == nil {
		return dirNames(t, s.root)
	}
	ids, err := s.cl.c.EntryIDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestNATSSeveralFrontEnds runs two front ends and two workers on one embedded nats-server: a
// batch on one front end is followed and downloaded on the other, a generation in flight is a
// conflict on both, and a cancel on the other front end stops the worker running it.
func TestNATSSeveralFrontEnds(t *testing.T) {
	ns := natstest.Start(t)
	slow := func(c *Config) { c.Workers = 1; c.GenerateDelay = 300 * time.Millisecond }
	natsService(t, ns, RoleWorker, slow)
	natsService(t, ns, RoleWorker, slow)
	var bases []string
	for range 2 {
		ts := httptest.NewServer(natsService(t, ns, RoleFront, nil).Handler())
		t.Cleanup(ts.Close)
		bases = append(bases, ts.URL)
	}
	one, two := bases[0], bases[1]

	var files []filePart
	for i := range 4 {
		files = append(files, filePart{"files[]", fmt.Sprintf("%d.png", i), testPNG(t, 40+i, 40)})
	}
	ct, body := multipartBody(t, map[string]string{"quality": "1", "format": "stl"}, files...)
	resp, out := do(t, "POST", one+"/api/batch-generate", ct, body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("batch: %d %s", resp.StatusCode, out)
	}
	var ids []string
	for _, id := range decode(t, out)["job_ids"].([]any) {
		ids = append(ids, id.(string))
	}
	if len(ids) != 4 {
		t.Fatalf("batch accepted %v", ids)
	}
	for _, id := range ids {
		if st := waitState(t, two, id); st["status"] != stateCompleted || st["download_url"] != "/api/download/"+id+"/model.stl" {
			t.Fatalf("%s on the other front end: %v", id, st)
		}
		if resp, data := do(t, "GET", two+"/api/download/"+id+"/model.stl", "", nil); resp.StatusCode != 200 || len(data) < 84 {
			t.Errorf("download %s: %d, %d bytes", id, resp.StatusCode, len(data))
		}
	}

	id := uploadImage(t, two, testPNG(t, 40, 40))
	generate(t, one, id, "stl", 1)
	for _, base := range bases {
		if resp, out := postJSON(t, base+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q}`, id)); resp.StatusCode != http.StatusConflict {
			t.Errorf("generate in flight on %s: %d %s, want 409", base, resp.StatusCode, out)
		}
	}
	waitFor(t, two, id, stateProcessing)
	resp, out = do(t, "DELETE", two+"/api/jobs/"+id, "", nil)
	if m := decode(t, out); resp.StatusCode != 200 || m["status"] != stateCanceled || m["canceled"] != true {
		t.Fatalf("cancel on the other front end: %d %s", resp.StatusCode, out)
	}
	if st := status(t, one, id); st["status"] != stateCanceled || st["error"] != "canceled by request" {
		t.Errorf("after the cancel, on the submitting front end: %v", st)
	}
	// Ended, so it can be generated again, from either.
	generate(t, two, id, "obj", 1)
	if st := waitState(t, one, id); st["status"] != stateCompleted || st["format"] != "obj" {
		t.Errorf("re-generation: %v", st)
	}
}

// TestNATSPoisonJob: a generation whose workers all stop mid-way (as ones that crash on it
// would) fails after MaxDeliver deliveries with the reason, and is not run again.
func TestNATSPoisonJob(t *testing.T) {
	ns := natstest.Start(t)
	poison := func(c *Config) { c.Workers, c.MaxDeliver, c.GenerateDelay = 1, 1, time.Hour }
	front := natsService(t, ns, RoleFront, poison)
	ts := httptest.NewServer(front.Handler())
	t.Cleanup(ts.Close)
	id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
	generate(t, ts.URL, id, "stl", 1)
	w := natsService(t, ns, RoleWorker, poison)
	waitFor(t, ts.URL, id, stateProcessing)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := w.Shutdown(ctx); err == nil {
		t.Error("a worker stopped mid-generation returned nil")
	}
	natsService(t, ns, RoleWorker, poison)
	st := waitState(t, ts.URL, id)
	if st["status"] != stateFailed || st["error"] != "no worker finished it in 1 deliveries" {
		t.Fatalf("poison job: %v", st)
	}
	rec, err := front.cl.c.Get(t.Context(), id)
	if err != nil || rec.Deliveries != 1 || rec.State != stateFailed {
		t.Errorf("record: %+v %v; want failed after 1 delivery", rec, err)
	}
}

// TestNATSWorkerRoutes: a worker serves its health and metrics, and refuses the front end's
// routes.
func TestNATSWorkerRoutes(t *testing.T) {
	ns := natstest.Start(t)
	ts := httptest.NewServer(natsService(t, ns, RoleWorker, nil).Handler())
	t.Cleanup(ts.Close)
	if resp, out := do(t, "GET", ts.URL+"/api/health", "", nil); resp.StatusCode != 200 || decode(t, out)["status"] != "healthy" {
		t.Errorf("worker health: %d %s", resp.StatusCode, out)
	}
	if resp, out := do(t, "GET", ts.URL+"/metrics", "", nil); resp.StatusCode != 200 || !strings.Contains(string(out), "orfeas_cluster_workers ") {
		t.Errorf("worker metrics: %d", resp.StatusCode)
	}
	ct, body := multipartBody(t, nil, filePart{"image", "a.png", testPNG(t, 40, 40)})
	if resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body); resp.StatusCode != 404 || !strings.Contains(string(out), "worker") {
		t.Errorf("upload on a worker: %d %s, want 404", resp.StatusCode, out)
	}
}

// TestNATSUnreachable: while NATS is down, a front end says so (503 on job routes, health
// degraded with the reason) rather than answering 404 for jobs it cannot read.
func TestNATSUnreachable(t *testing.T) {
	ns := natstest.Start(t)
	front := natsService(t, ns, RoleFront, nil)
	ts := httptest.NewServer(front.Handler())
	t.Cleanup(ts.Close)
	id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
	ns.Shutdown()
	deadline := time.Now().Add(10 * time.Second)
	for !front.clusterDown() {
		if time.Now().After(deadline) {
			t.Fatal("the front end never noticed NATS going away")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp, out := do(t, "GET", ts.URL+"/api/job-status/"+id, "", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status while NATS is down: %d %s, want 503", resp.StatusCode, out)
	}
	if resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q}`, id)); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("generate while NATS is down: %d %s, want 503", resp.StatusCode, out)
	}
	if resp, out := do(t, "GET", ts.URL+"/api/health", "", nil); resp.StatusCode != 200 || decode(t, out)["status"] != "degraded" || !strings.Contains(string(out), "NATS") {
		t.Errorf("health while NATS is down: %d %s", resp.StatusCode, out)
	}
	ct, body := multipartBody(t, nil, filePart{"image", "a.png", testPNG(t, 40, 40)})
	if resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("upload while NATS is down: %d %s, want 503", resp.StatusCode, out)
	}
}
