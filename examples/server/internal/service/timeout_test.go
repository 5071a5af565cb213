package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOperationTimeoutEndsGeneration: a generation that outlasts Config.OperationTimeout (here
// held by GenerateDelay) ends failed, with the deadline as its reason, and leaves nothing
// half-written: no model in the job's folder, none listed, no download, and the manifest on
// disk says failed.
func TestOperationTimeoutEndsGeneration(t *testing.T) {
	// The deadline bounds every request too (the upload's decode), so it is long enough for an
	// upload on a loaded machine (the race detector, packages tested in parallel).
	const timeout = 2 * time.Second
	dir := t.TempDir()
	_, ts := testService(t, func(c *Config) {
		c.DataDir, c.OperationTimeout, c.GenerateDelay = dir, timeout, time.Hour
	})
	id := uploadImage(t, ts.URL, testPNG(t, 64, 64))
	start := time.Now()
	generate(t, ts.URL, id, "stl", 1)
	st := waitState(t, ts.URL, id)
	took := time.Since(start)
	t.Logf("ended %v after %v (timeout %v): %v", st["status"], took, timeout, st["error"])
	if st["status"] != stateFailed || !strings.Contains(fmt.Sprint(st["error"]), "deadline") {
		t.Errorf("status %v, want failed naming the deadline", st)
	}
	if took > timeout+30*time.Second { // a hang guard only: GenerateDelay is an hour
		t.Errorf("ended after %v", took)
	}
	if resp, _ := do(t, "GET", ts.URL+downloadURL(id, "stl"), "", nil); resp.StatusCode != 404 {
		t.Errorf("download: %d, want 404", resp.StatusCode)
	}
	jobDir := filepath.Join(dir, "jobs", id)
	m, err := readManifest(jobDir, id)
	if err != nil {
		t.Fatal(err)
	}
	if m.State != stateFailed || !strings.Contains(m.Error, "deadline") || len(m.Models) != 0 {
		t.Errorf("manifest: state %q, error %q, models %v", m.State, m.Error, m.Models)
	}
	entries, err := os.ReadDir(jobDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != manifestFile && n != uploadFile {
			t.Errorf("left in the job's folder: %s", n)
		}
	}
}
