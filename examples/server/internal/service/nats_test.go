package service

import (
	"context"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

// startNATS runs an embedded nats-server with JetStream in a temporary folder, on no port; it is
// shut down when the test ends.
func startNATS(t *testing.T) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		JetStream: true, StoreDir: t.TempDir(), DontListen: true, NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	t.Cleanup(ns.Shutdown)
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	return ns
}

// connect is an in-process client of ns, closed when the test ends.
func connect(t *testing.T, ns *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
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
	cfg.NATSConn, cfg.Role = connect(t, ns), role
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
	ns := startNATS(t)
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
