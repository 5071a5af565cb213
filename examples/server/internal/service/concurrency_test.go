package service

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestConcurrentClients runs 50 clients at once: each uploads an image, then all generate at the
// same moment, 35 on their own job and 15 on a job another client is generating (with another
// format). Each job must get exactly one 202 and the second request 409; nothing may answer 5xx;
// every generation must complete, once.
func TestConcurrentClients(t *testing.T) {
	const clients, shared = 50, 15
	s, ts := testService(t, func(c *Config) {
		c.Workers = clients
		c.GenerateDelay = 2 * time.Second // keeps every generation in flight while the others arrive
	})
	img := testPNG(t, 32, 32)
	ids := make([]string, clients)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var problems []string
	report := func(format string, a ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, a...))
		mu.Unlock()
	}
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct, body := multipartBody(t, nil, filePart{"image", fmt.Sprintf("c%d.png", i), img})
			resp, out := do(t, "POST", ts.URL+"/api/upload-image", ct, body)
			if resp.StatusCode != http.StatusOK {
				report("upload %d: %d %s", i, resp.StatusCode, out)
				return
			}
			ids[i] = decode(t, out)["job_id"].(string)
		}()
	}
	wg.Wait()
	if len(problems) > 0 {
		t.Fatal(strings.Join(problems, "\n"))
	}

	codes := make([]int, clients)
	formats := []string{"stl", "obj"}
	start := make(chan struct{})
	for i := range clients {
		target, format := i, formats[0]
		if i >= clients-shared {
			target, format = i-(clients-shared), formats[1]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, out := postJSON(t, ts.URL+"/api/generate-3d", fmt.Sprintf(`{"job_id":%q,"format":%q,"quality":1}`, ids[target], format))
			codes[i] = resp.StatusCode
			if resp.StatusCode >= 500 {
				report("generate %d: %d %s", i, resp.StatusCode, out)
			}
		}()
	}
	close(start)
	wg.Wait()

	accepted := map[string]int{}
	conflicts := map[string]int{}
	for i, code := range codes {
		target := i
		if i >= clients-shared {
			target = i - (clients - shared)
		}
		switch code {
		case http.StatusAccepted:
			accepted[ids[target]]++
		case http.StatusConflict:
			conflicts[ids[target]]++
		default:
			report("client %d: status %d", i, code)
		}
	}
	generated := clients - shared
	for i, id := range ids {
		switch {
		case i < shared:
			if accepted[id] != 1 || conflicts[id] != 1 {
				report("shared job %d: %d accepted, %d conflicts", i, accepted[id], conflicts[id])
			}
		case i < generated:
			if accepted[id] != 1 || conflicts[id] != 0 {
				report("job %d: %d accepted, %d conflicts", i, accepted[id], conflicts[id])
			}
		}
	}
	for i, id := range ids {
		st := waitState(t, ts.URL, id)
		want := stateCompleted
		if i >= generated {
			want = stateUploaded
		}
		if st["status"] != want {
			report("job %d: %v (%v), want %s", i, st["status"], st["error"], want)
		}
	}
	if len(problems) > 0 {
		t.Fatal(strings.Join(problems, "\n"))
	}
	_, out := do(t, "GET", ts.URL+"/metrics", "", nil)
	for _, want := range []string{
		fmt.Sprintf(`orfeas_generations_total{outcome="completed"} %d`, generated),
		fmt.Sprintf(`orfeas_http_requests_total{route="POST /api/generate-3d",status="409"} %d`, shared),
		fmt.Sprintf(`orfeas_jobs{state="completed"} %d`, generated),
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if st := s.reg.Stats(); st.Submitted != generated {
		t.Errorf("registry ran %d submissions, want %d", st.Submitted, generated)
	}
}
