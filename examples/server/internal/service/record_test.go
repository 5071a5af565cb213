package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestManifestFollowsRegistry checks that the manifest on disk already holds each state the API
// reports: processing while the generation runs, canceled once the cancel request is answered,
// with no temporary model left behind, and completed when a later generation is reported done.
func TestManifestFollowsRegistry(t *testing.T) {
	s, ts := testService(t, func(c *Config) { c.GenerateDelay = time.Hour })
	id := uploadImage(t, ts.URL, testPNG(t, 40, 40))
	dir := filepath.Join(s.root, id)
	generate(t, ts.URL, id, "stl", 1)
	waitFor(t, ts.URL, id, "processing")
	if m, err := readManifest(dir, id); err != nil || m.State != stateProcessing {
		t.Fatalf("manifest while processing: %+v %v", m, err)
	}
	if resp, out := do(t, "DELETE", ts.URL+"/api/jobs/"+id, "", nil); resp.StatusCode != 200 || decode(t, out)["canceled"] != true {
		t.Fatalf("cancel: %d %s", resp.StatusCode, out)
	}
	if m, err := readManifest(dir, id); err != nil || m.State != stateCanceled || m.Error != "canceled by request" {
		t.Errorf("manifest after cancel: %+v %v", m, err)
	}
	if st := s.reg.Stats(); st.Canceled != 1 {
		t.Errorf("registry counts %d cancelled jobs, want 1", st.Canceled)
	}

	s2, ts2 := testService(t, nil)
	id2 := uploadImage(t, ts2.URL, testPNG(t, 40, 40))
	generate(t, ts2.URL, id2, "ply", 1)
	if st := waitState(t, ts2.URL, id2); st["status"] != stateCompleted {
		t.Fatalf("generation: %v", st)
	}
	dir2 := filepath.Join(s2.root, id2)
	m, err := readManifest(dir2, id2)
	if err != nil || m.State != stateCompleted || len(m.Models) != 1 || m.Models[0] != "ply" || len(m.Report) == 0 {
		t.Errorf("manifest after completion: %+v %v", m, err)
	}
	for _, n := range dirNames(t, dir2) {
		if strings.HasPrefix(n, tempPrefix) {
			t.Errorf("temporary file %s left in the job folder", n)
		}
	}
	if _, err := os.Stat(filepath.Join(dir2, modelFile("ply"))); err != nil {
		t.Errorf("model: %v", err)
	}
}
