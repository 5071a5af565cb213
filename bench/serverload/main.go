// Command serverload measures the figures of examples/server over loopback:
//
//	go run ./bench/serverload -mode health -url http://127.0.0.1:5000 -rate 1000 -duration 10s
//	go run ./bench/serverload -mode generate -url http://127.0.0.1:5000 -n 100 -image testdata/images/horse.png
//
// health sends GET /api/health at exactly -rate requests per second (open loop: each request is
// sent at its scheduled time whether or not the earlier ones have answered, and its latency is
// measured from that scheduled time, so a stalled server cannot hide its queueing) and reports
// the latency percentiles.
//
// generate uploads one image -n times, then sends the -n generate requests at once (draft
// quality by default), follows every job until it ends, and reports how many completed, failed
// or were refused, and the drain time: from the first generate request to the last job's end.
//
// Only loopback addresses are accepted.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	mode := flag.String("mode", "health", "health or generate")
	base := flag.String("url", "http://127.0.0.1:5000", "server base URL (loopback only)")
	rate := flag.Int("rate", 1000, "health: requests per second")
	duration := flag.Duration("duration", 10*time.Second, "health: how long to send")
	n := flag.Int("n", 100, "generate: number of jobs")
	img := flag.String("image", "testdata/images/horse.png", "generate: image to upload")
	quality := flag.String("quality", "draft", "generate: quality")
	format := flag.String("format", "stl", "generate: format")
	flag.Parse()
	if err := checkLoopback(*base); err != nil {
		fmt.Fprintln(os.Stderr, "serverload:", err)
		os.Exit(2)
	}
	var err error
	switch *mode {
	case "health":
		err = health(*base, *rate, *duration)
	case "generate":
		err = generate(*base, *n, *img, *quality, *format)
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "serverload:", err)
		os.Exit(1)
	}
}

func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address", host)
	}
	return nil
}

func client(conns int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			IdleConnTimeout:     time.Minute,
		},
	}
}

func health(base string, rate int, duration time.Duration) error {
	c := client(256)
	total := int(float64(rate) * duration.Seconds())
	lat := make([]time.Duration, total)
	errs := make([]error, total)
	interval := time.Second / time.Duration(rate)
	var wg sync.WaitGroup
	start := time.Now().Add(50 * time.Millisecond)
	for i := range total {
		at := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(base + "/api/health")
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			lat[i], errs[i] = time.Since(at), err
		}()
	}
	sent := time.Since(start)
	wg.Wait()
	failed := 0
	var firstErr error
	for _, err := range errs {
		if err != nil {
			failed++
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	fmt.Printf("GET /api/health: %d requests in %.2fs (%.0f req/s offered), %d failed\n", total, sent.Seconds(), float64(total)/sent.Seconds(), failed)
	fmt.Printf("latency from schedule: p50 %v  p90 %v  p99 %v  p99.9 %v  max %v\n",
		pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond), pct(0.99).Round(time.Microsecond),
		pct(0.999).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	if firstErr != nil {
		fmt.Printf("first error: %v\n", firstErr)
	}
	return nil
}

func generate(base string, n int, imgPath, quality, format string) error {
	img, err := os.ReadFile(imgPath)
	if err != nil {
		return err
	}
	c := client(n)
	ids := make([]string, n)
	for i := range ids { // uploads are not what is measured: one after another
		if ids[i], err = upload(c, base, imgPath, img); err != nil {
			return fmt.Errorf("upload %d: %w", i, err)
		}
	}
	fmt.Printf("uploaded %s %d times\n", filepath.Base(imgPath), n)

	codes := make([]int, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"job_id":%q,"format":%q,"quality":%q}`, id, format, quality)
			resp, err := c.Post(base+"/api/generate-3d", "application/json", strings.NewReader(body))
			if err != nil {
				codes[i] = -1
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	submitted := time.Since(start)
	byCode := map[int]int{}
	for _, code := range codes {
		byCode[code]++
	}
	fmt.Printf("generate requests: %v in %v\n", byCode, submitted.Round(time.Millisecond))

	states := map[string]int{}
	var last time.Time // the latest end, by the server's clock (the same machine's)
	for i, id := range ids {
		if codes[i] != http.StatusAccepted {
			continue
		}
		for {
			st, ended, err := status(c, base, id)
			if err != nil {
				return err
			}
			if st != "queued" && st != "processing" {
				states[st]++
				if ended.After(last) {
					last = ended
				}
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	lost := byCode[http.StatusAccepted]
	for _, k := range states {
		lost -= k
	}
	fmt.Printf("final states: %v, lost %d\n", states, lost)
	fmt.Printf("drain time (first generate request to the last job's end): %v\n", last.Sub(start).Round(time.Millisecond))
	return nil
}

func upload(c *http.Client, base, name string, img []byte) (string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("image", filepath.Base(name))
	if err != nil {
		return "", err
	}
	fw.Write(img)
	mw.Close()
	resp, err := c.Post(base+"/api/upload-image", mw.FormDataContentType(), &buf)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var m struct {
		JobID string `json:"job_id"`
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d: %s", resp.StatusCode, m.Error)
	}
	return m.JobID, nil
}

// status returns a job's state and the time of its last change.
func status(c *http.Client, base, id string) (string, time.Time, error) {
	resp, err := c.Get(base + "/api/job-status/" + id)
	if err != nil {
		return "", time.Time{}, err
	}
	defer resp.Body.Close()
	var m struct {
		Status  string    `json:"status"`
		Updated time.Time `json:"updated"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		return "", time.Time{}, err
	}
	if m.Status == "" {
		return "", time.Time{}, errors.New("status without a state")
	}
	return m.Status, m.Updated, nil
}
