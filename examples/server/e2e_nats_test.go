package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/orfeas3d/orfeas/examples/server/internal/natsjobs"
)

// The end-to-end tests of the server on NATS JetStream (issue 19): real server processes (front
// ends and workers) on one NATS system, over loopback. The NATS system is a nats-server with
// JetStream and file storage: the binary $ORFEAS_NATS_SERVER names when set (Debian's
// nats-server, or one built with `go build github.com/nats-io/nats-server/v2`), else the
// module's server run inside the test process, listening on a loopback port like the binary.

// natsSystem is a running nats-server.
type natsSystem struct {
	t    *testing.T
	dir  string // its JetStream storage, kept across restarts
	port int
	url  string
	ns   *server.Server // in-process
	cmd  *exec.Cmd      // or a binary
}

// startNATSSystem starts a nats-server on a free loopback port, storing in a temporary folder.
func startNATSSystem(t *testing.T) *natsSystem {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	n := &natsSystem{t: t, dir: t.TempDir(), port: port, url: fmt.Sprintf("nats://127.0.0.1:%d", port)}
	n.start()
	t.Cleanup(n.stop)
	return n
}

func (n *natsSystem) start() {
	t := n.t
	t.Helper()
	if bin := os.Getenv("ORFEAS_NATS_SERVER"); bin != "" {
		n.cmd = exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port), "-js", "-sd", n.dir)
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", n.port)); err == nil {
				c.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatal("nats-server did not start")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: n.port, JetStream: true, StoreDir: n.dir, NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	n.ns = ns
}

// stop stops the server (its storage stays for a restart).
func (n *natsSystem) stop() {
	if n.ns != nil {
		n.ns.Shutdown()
		n.ns.WaitForShutdown()
		n.ns = nil
	}
	if n.cmd != nil {
		n.cmd.Process.Signal(syscall.SIGTERM)
		n.cmd.Wait()
		n.cmd = nil
	}
}

// cluster is the test's own view of the cluster state: records and blobs.
func (n *natsSystem) cluster(t *testing.T) *natsjobs.Cluster {
	t.Helper()
	nc, err := nats.Connect(n.url, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	c, err := natsjobs.Open(t.Context(), nc, natsjobs.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// natsProc starts a server process with role on n.
func natsProc(t *testing.T, n *natsSystem, role string, extra []string, env ...string) *proc {
	t.Helper()
	args := append([]string{"-nats", n.url, "-role", role, "-nats-ack-wait", "2s", "-queue", "512"}, extra...)
	return startServerArgs(t, t.TempDir(), args, env...)
}

// kill kills p with SIGKILL and waits for it.
func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Kill()
	p.wait(t, 10*time.Second)
}

// workerPID is the process ID in a record's worker name (host-pid-loop).
func workerPID(worker string) int {
	parts := strings.Split(worker, "-")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// models lists the model files among job id's blobs.
func models(t *testing.T, c *natsjobs.Cluster, id string) []string {
	t.Helper()
	names, err := c.BlobNames(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range names {
		if strings.HasPrefix(n, "model.") && n != "model.obj.zip" {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func postGenerate(t *testing.T, base, id, format string) (int, string) {
	t.Helper()
	resp, err := http.Post(base+"/api/generate-3d", "application/json",
		strings.NewReader(fmt.Sprintf(`{"job_id":%q,"format":%q,"quality":"draft"}`, id, format)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(body)
}

// TestNATSCluster runs two front ends and two workers as processes on one NATS system and
// takes them through the routes and the faults of issue 19: a job submitted on one front end
// is answered by the other, a worker killed mid-generation hands its job to the other worker
// (completed once, one model), a cancel on one front end stops the worker running a job
// submitted on the other, a front end killed loses nothing, and queued jobs survive a restart
// of NATS.
func TestNATSCluster(t *testing.T) {
	serverBinary(t)
	ns := startNATSSystem(t)
	cl := ns.cluster(t)
	const img = "../../testdata/images/horse.png"
	// Each generation waits 1.5 s before it starts, so that a kill or a cancel lands mid-way.
	worker := func() *proc {
		return natsProc(t, ns, "worker", []string{"-workers", "1"}, "ORFEAS_TEST_GENERATE_DELAY=1500ms")
	}
	front := func() *proc { return natsProc(t, ns, "front", nil) }
	a, b := front(), front()
	workers := []*proc{worker(), worker()}

	t.Run("routes across front ends", func(t *testing.T) {
		id := upload(t, a.base, img)
		generate(t, b.base, id, "stl")
		if code, body := postGenerate(t, a.base, id, "obj"); code != http.StatusConflict {
			t.Errorf("generate on the other front end while in flight: %d %s, want 409", code, body)
		}
		n, last := events(t, a.base, id)
		if n < 2 || last["status"] != "completed" || last["download_url"] != "/api/download/"+id+"/model.stl" {
			t.Fatalf("events on the other front end: %d, last %v", n, last)
		}
		downloadClosed(t, b.base, id, "stl")
		// Re-generation once ended, in another format: both models are served.
		generate(t, a.base, id, "glb")
		waitStatus(t, b.base, id, "completed")
		downloadClosed(t, a.base, id, "glb")
		downloadClosed(t, a.base, id, "stl")
		if got := models(t, cl, id); !slices.Equal(got, []string{"model.glb", "model.stl"}) {
			t.Errorf("models stored: %v", got)
		}
	})

	t.Run("worker killed mid-generation", func(t *testing.T) {
		id := upload(t, a.base, img)
		generate(t, a.base, id, "stl")
		waitStatus(t, b.base, id, "processing")
		rec, err := cl.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		victim := -1
		for i, w := range workers {
			if w.cmd.Process.Pid == workerPID(rec.Worker) {
				victim = i
			}
		}
		if victim < 0 {
			t.Fatalf("no worker process runs %s (record names %q)", id, rec.Worker)
		}
		workers[victim].kill(t)
		st := waitStatus(t, b.base, id, "completed", "failed")
		if st["status"] != "completed" {
			t.Fatalf("after the kill: %v", st)
		}
		after, err := cl.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if after.Deliveries != 2 || after.Worker == rec.Worker || after.Gen != 1 {
			t.Errorf("record after the kill: delivery %d on %s (gen %d); want delivery 2 on another worker than %s, gen 1",
				after.Deliveries, after.Worker, after.Gen, rec.Worker)
		}
		if got := models(t, cl, id); !slices.Equal(got, []string{"model.stl"}) {
			t.Errorf("models stored: %v, want one model.stl", got)
		}
		downloadClosed(t, a.base, id, "stl")
		workers[victim] = worker()
	})

	t.Run("cancel from the other front end", func(t *testing.T) {
		id := upload(t, a.base, img)
		generate(t, a.base, id, "stl")
		waitStatus(t, a.base, id, "processing")
		req, _ := http.NewRequest("DELETE", b.base+"/api/jobs/"+id, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), `"canceled":true`) || !strings.Contains(string(body), `"status":"canceled"`) {
			t.Fatalf("cancel: %d %s", resp.StatusCode, body)
		}
		if _, st := getJSON(t, a.base+"/api/job-status/"+id); st["status"] != "canceled" {
			t.Errorf("status on the submitting front end: %v", st["status"])
		}
		if got := models(t, cl, id); len(got) != 0 {
			t.Errorf("a canceled job stored %v", got)
		}
	})

	t.Run("front end killed", func(t *testing.T) {
		id := upload(t, a.base, img)
		generate(t, a.base, id, "stl")
		a.kill(t)
		a = front()
		waitStatus(t, a.base, id, "completed")
		downloadClosed(t, b.base, id, "stl")
	})

	t.Run("NATS restarted", func(t *testing.T) {
		for _, w := range workers {
			w.cmd.Process.Signal(syscall.SIGTERM)
			w.wait(t, 30*time.Second)
		}
		ids := []string{upload(t, b.base, img), upload(t, b.base, img)}
		for _, id := range ids {
			generate(t, b.base, id, "stl")
		}
		ns.stop()
		ns.start()
		// The front ends reconnect on their own; the queued jobs are still queued.
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(a.base + "/api/job-status/" + ids[0])
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("front end never answered after the NATS restart")
			}
			time.Sleep(100 * time.Millisecond)
		}
		for _, id := range ids {
			if _, st := getJSON(t, a.base+"/api/job-status/"+id); st["status"] != "queued" {
				t.Errorf("%s after the restart: %v, want queued", id, st["status"])
			}
		}
		workers = []*proc{worker()}
		for _, id := range ids {
			waitStatus(t, a.base, id, "completed")
			downloadClosed(t, b.base, id, "stl")
		}
	})
}

// TestNATSPoisonProcesses: a generation that kills every worker process that takes it (here the
// test SIGKILLs each one as soon as it runs the job) is redelivered after -nats-ack-wait until
// -nats-max-deliver deliveries, then fails with the reason on the next worker instead of
// looping; nothing is stored for it, and the workers go on with other jobs.
func TestNATSPoisonProcesses(t *testing.T) {
	serverBinary(t)
	ns := startNATSSystem(t)
	cl := ns.cluster(t)
	const img = "../../testdata/images/horse.png"
	const maxDeliver = 3
	worker := func() *proc {
		return natsProc(t, ns, "worker", []string{"-workers", "1", "-nats-max-deliver", strconv.Itoa(maxDeliver)},
			"ORFEAS_TEST_GENERATE_DELAY=1500ms")
	}
	front := natsProc(t, ns, "front", nil)
	w := worker()
	id := upload(t, front.base, img)
	generate(t, front.base, id, "stl")
	for k := 1; k <= maxDeliver; k++ {
		deadline := time.Now().Add(time.Minute)
		for {
			rec, err := cl.Get(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.State == natsjobs.StateProcessing && rec.Deliveries == k && workerPID(rec.Worker) == w.cmd.Process.Pid {
				break
			}
			if rec.State != natsjobs.StateQueued && rec.State != natsjobs.StateProcessing {
				t.Fatalf("before delivery %d was killed: %+v", k, rec)
			}
			if time.Now().After(deadline) {
				t.Fatalf("delivery %d never reached the worker: %+v", k, rec)
			}
			time.Sleep(20 * time.Millisecond)
		}
		w.kill(t)
		w = worker()
	}
	st := waitStatus(t, front.base, id, "failed", "completed")
	if want := fmt.Sprintf("no worker finished it in %d deliveries", maxDeliver); st["status"] != "failed" || st["error"] != want {
		t.Fatalf("poison job: %v, want failed with %q", st, want)
	}
	rec, err := cl.Get(t.Context(), id)
	if err != nil || rec.State != natsjobs.StateFailed || rec.Deliveries != maxDeliver {
		t.Errorf("record %+v %v; want failed after %d deliveries", rec, err, maxDeliver)
	}
	if got := models(t, cl, id); len(got) != 0 {
		t.Errorf("models stored for the poison job: %v", got)
	}
	// The surviving worker still works.
	other := upload(t, front.base, img)
	generate(t, front.base, other, "stl")
	if st := waitStatus(t, front.base, other, "completed", "failed"); st["status"] != "completed" {
		t.Errorf("next job after the poison one: %v", st)
	}
	downloadClosed(t, front.base, other, "stl")
}

// smallPNG is a 96×96 disc, a draft generation's small image.
func smallPNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 96, 96))
	for y := range 96 {
		for x := range 96 {
			c := color.NRGBA{250, 250, 250, 255}
			if dx, dy := x-48, y-48; dx*dx+dy*dy < 34*34 {
				c = color.NRGBA{uint8(60 + x), 80, uint8(160 - y), 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// loadResult is what runLoad measured.
type loadResult struct {
	jobs     []string
	states   map[string]int
	took     time.Duration
	p50, p99 time.Duration
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d jobs in %.2f s: %.2f jobs/s, latency (generate → completed seen) p50 %v p99 %v, states %v",
		len(r.jobs), r.took.Seconds(), float64(len(r.jobs))/r.took.Seconds(), r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), r.states)
}

// runLoad has clients clients each upload, generate (draft STL) and follow perClient jobs one
// after another, spread over the front ends bases (upload on one, generate on the next, status
// on a third), and calls during once a third of the jobs are done.
func runLoad(t *testing.T, bases []string, clients, perClient int, during func()) loadResult {
	t.Helper()
	img := smallPNG(t)
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	var (
		mu     sync.Mutex
		res    = loadResult{states: map[string]int{}}
		lat    []time.Duration
		done   atomic.Int32
		once   sync.Once
		wg     sync.WaitGroup
		failed atomic.Value
	)
	fail := func(err error) { failed.CompareAndSwap(nil, err) }
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for j := range perClient {
				k := c*perClient + j
				up, gen, st := bases[k%len(bases)], bases[(k+1)%len(bases)], bases[(k+2)%len(bases)]
				var body bytes.Buffer
				mw := multipart.NewWriter(&body)
				fw, _ := mw.CreateFormFile("image", "small.png")
				fw.Write(img)
				mw.Close()
				id, err := postForID(hc, up+"/api/upload-image", mw.FormDataContentType(), &body)
				if err != nil {
					fail(err)
					return
				}
				t0 := time.Now()
				resp, err := hc.Post(gen+"/api/generate-3d", "application/json", strings.NewReader(fmt.Sprintf(`{"job_id":%q,"format":"stl","quality":"draft"}`, id)))
				if err != nil {
					fail(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusAccepted {
					fail(fmt.Errorf("generate %s: %d", id, resp.StatusCode))
					return
				}
				state := ""
				for deadline := time.Now().Add(3 * time.Minute); ; {
					state, err = statusOf(hc, st, id)
					if err == nil && state != "queued" && state != "processing" {
						break
					}
					if time.Now().After(deadline) {
						fail(fmt.Errorf("job %s still %s (%v)", id, state, err))
						return
					}
					time.Sleep(25 * time.Millisecond)
				}
				mu.Lock()
				lat = append(lat, time.Since(t0))
				res.jobs = append(res.jobs, id)
				res.states[state]++
				mu.Unlock()
				if int(done.Add(1)) == clients*perClient/3 && during != nil {
					once.Do(during)
				}
			}
		})
	}
	wg.Wait()
	res.took = time.Since(start)
	if err, _ := failed.Load().(error); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lat)
	res.p50, res.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	return res
}

func postForID(hc *http.Client, url, ct string, body io.Reader) (string, error) {
	resp, err := hc.Post(url, ct, body)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("upload: %d %s", resp.StatusCode, data)
	}
	_, rest, ok := strings.Cut(string(data), `"job_id":"`)
	id, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		return "", fmt.Errorf("upload answer %s", data)
	}
	return id, nil
}

func statusOf(hc *http.Client, base, id string) (string, error) {
	resp, err := hc.Get(base + "/api/job-status/" + id)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %s: %d", id, resp.StatusCode)
	}
	_, rest, _ := strings.Cut(string(data), `"status":"`)
	state, _, _ := strings.Cut(rest, `"`)
	return state, nil
}

// TestNATSLoad is the multi-process load of issue 19, when ORFEAS_E2E_CLUSTER is set (CI sets
// it): 200 draft generations from 20 clients on 2 front ends and 3 workers, one worker killed
// with SIGKILL and restarted a third of the way through. All complete, each once (generation 1
// of its job, one stored model), none lost. With ORFEAS_E2E_COMPARE set (bench/nats/cluster.sh
// sets it; CI does not, for time), the same load on the single-machine server gives the figures
// to compare; ORFEAS_E2E_ROUNDS (default 1) repeats both, interleaved, and the medians are
// reported.
func TestNATSLoad(t *testing.T) {
	if os.Getenv("ORFEAS_E2E_CLUSTER") == "" {
		t.Skip("set ORFEAS_E2E_CLUSTER=1 to run the 200-generation cluster load")
	}
	serverBinary(t)
	rounds, _ := strconv.Atoi(os.Getenv("ORFEAS_E2E_ROUNDS"))
	rounds = max(rounds, 1)
	const clients, perClient = 20, 10
	var local, cluster []loadResult
	compare := os.Getenv("ORFEAS_E2E_COMPARE") != ""
	for r := range rounds {
		t.Run(fmt.Sprintf("local/%d", r), func(t *testing.T) {
			if !compare {
				t.Skip("set ORFEAS_E2E_COMPARE=1 for the single-machine figures")
			}
			p := startServerArgs(t, t.TempDir(), []string{"-queue", "512"})
			res := runLoad(t, []string{p.base}, clients, perClient, nil)
			if res.states["completed"] != clients*perClient {
				t.Errorf("local: %v", res.states)
			}
			t.Logf("local single-machine server: %v", res)
			local = append(local, res)
		})
		t.Run(fmt.Sprintf("cluster/%d", r), func(t *testing.T) {
			ns := startNATSSystem(t)
			cl := ns.cluster(t)
			fronts := []*proc{natsProc(t, ns, "front", nil), natsProc(t, ns, "front", nil)}
			var workers []*proc
			for range 3 {
				workers = append(workers, natsProc(t, ns, "worker", []string{"-workers", "1"}))
			}
			res := runLoad(t, []string{fronts[0].base, fronts[1].base}, clients, perClient, func() {
				workers[0].kill(t)
				workers[0] = natsProc(t, ns, "worker", []string{"-workers", "1"})
			})
			if res.states["completed"] != clients*perClient || len(res.jobs) != clients*perClient {
				t.Fatalf("cluster: %d jobs, %v", len(res.jobs), res.states)
			}
			redelivered := 0
			seen := map[string]bool{}
			for _, id := range res.jobs {
				if seen[id] {
					t.Errorf("job %s reported twice", id)
				}
				seen[id] = true
				rec, err := cl.Get(t.Context(), id)
				if err != nil || rec.State != natsjobs.StateCompleted || rec.Gen != 1 {
					t.Errorf("job %s: %+v %v; want completed, generation 1", id, rec, err)
				}
				if rec.Deliveries > 1 {
					redelivered++
				}
				if got := models(t, cl, id); !slices.Equal(got, []string{"model.stl"}) {
					t.Errorf("job %s stored %v, want one model.stl", id, got)
				}
			}
			t.Logf("cluster (2 front ends, 3 workers, one killed and restarted): %v; %d redelivered", res, redelivered)
			cluster = append(cluster, res)
		})
	}
	if len(cluster) == rounds {
		t.Logf("medians over %d rounds: cluster %s", rounds, median(cluster))
	}
	if len(local) == rounds {
		t.Logf("medians over %d rounds: local %s", rounds, median(local))
	}
}

// median is the median throughput, p50 and p99 of results.
func median(rs []loadResult) string {
	pick := func(f func(loadResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	return fmt.Sprintf("%.2f jobs/s, p50 %.0f ms, p99 %.0f ms",
		pick(func(r loadResult) float64 { return float64(len(r.jobs)) / r.took.Seconds() }),
		pick(func(r loadResult) float64 { return float64(r.p50.Milliseconds()) }),
		pick(func(r loadResult) float64 { return float64(r.p99.Milliseconds()) }))
}

// TestNATSScaling measures, when ORFEAS_E2E_SCALING is set, the throughput of the same load with
// 1, 2 and 4 worker processes behind one front end (ORFEAS_E2E_ROUNDS rounds, interleaved).
func TestNATSScaling(t *testing.T) {
	if os.Getenv("ORFEAS_E2E_SCALING") == "" {
		t.Skip("set ORFEAS_E2E_SCALING=1 to measure throughput against worker count")
	}
	serverBinary(t)
	rounds, _ := strconv.Atoi(os.Getenv("ORFEAS_E2E_ROUNDS"))
	rounds = max(rounds, 1)
	results := map[int][]loadResult{}
	for r := range rounds {
		for _, n := range []int{1, 2, 4} {
			t.Run(fmt.Sprintf("workers=%d/%d", n, r), func(t *testing.T) {
				ns := startNATSSystem(t)
				f := natsProc(t, ns, "front", nil)
				for range n {
					natsProc(t, ns, "worker", []string{"-workers", "1"})
				}
				res := runLoad(t, []string{f.base}, 20, 10, nil)
				t.Logf("%d workers: %v", n, res)
				results[n] = append(results[n], res)
			})
		}
	}
	for _, n := range []int{1, 2, 4} {
		t.Logf("%d workers, medians over %d rounds: %s", n, len(results[n]), median(results[n]))
	}
}
