package service

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLoadJobs checks the start-up scan on a hand-made jobs folder.
func TestLoadJobs(t *testing.T) {
	root := t.TempDir()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mk := func(id string, m *manifest, files ...string) string {
		dir := filepath.Join(root, id)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
		}
		if m != nil {
			m.ID, m.Kind = id, kindImage
			if err := writeManifest(dir, m); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	mk("done", &manifest{State: stateCompleted, Models: []string{"glb", "stl"}}, "upload.png", "model.stl") // model.glb lost
	mk("queued", &manifest{State: stateQueued}, "upload.png")
	mk("running", &manifest{State: stateProcessing}, "upload.png", tempPrefix+"abc")
	mk("nomanifest", nil, "upload.png")
	damaged := mk("damaged", nil)
	os.WriteFile(filepath.Join(damaged, manifestFile), []byte("{not json"), 0o644)
	other := mk("other", nil)
	os.WriteFile(filepath.Join(other, manifestFile), []byte(`{"job_id":"someone-else","kind":"image"}`), 0o644)
	mk("not.an.id", nil, "keep")
	os.WriteFile(filepath.Join(root, tempPrefix+"x"), nil, 0o644)

	ld, err := loadJobs(diskStore{}, root, now)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*manifest{}
	for _, m := range ld.jobs {
		got[m.ID] = m
	}
	if len(got) != 3 || ld.interrupted != 2 || ld.removed != 1 || len(ld.skipped) != 2 {
		t.Fatalf("loaded %v, interrupted %d, removed %d, skipped %v", got, ld.interrupted, ld.removed, ld.skipped)
	}
	if m := got["done"]; m.State != stateCompleted || len(m.Models) != 1 || m.Models[0] != "stl" {
		t.Errorf("done: %+v", m)
	}
	for _, id := range []string{"queued", "running"} {
		m := got[id]
		if m.State != stateFailed || m.Error != errInterrupted || !m.Updated.Equal(now) {
			t.Errorf("%s: %+v", id, m)
		}
		if disk, err := readManifest(filepath.Join(root, id), id); err != nil || disk.State != stateFailed {
			t.Errorf("%s on disk: %+v %v", id, disk, err)
		}
	}
	for path, want := range map[string]bool{
		"nomanifest":                    false,
		"damaged":                       true,
		"other":                         true,
		"not.an.id/keep":                true,
		tempPrefix + "x":                false,
		"running/" + tempPrefix + "abc": false,
	} {
		_, err := os.Stat(filepath.Join(root, path))
		if exists := err == nil; exists != want {
			t.Errorf("%s exists %v, want %v", path, exists, want)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"abcDEF123_-": true, "": false, "..": false, "a.b": false, "a/b": false, `a\b`: false,
		"a b": false, "a%2f": false, string(make([]byte, 65)): false,
	} {
		if validID(id) != want {
			t.Errorf("validID(%q) = %v", id, !want)
		}
	}
}

// TestRateLimiter drives the token bucket with explicit times.
func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(60, time.Minute) // 60 a minute: one a second, 60 at most in a burst
	t0 := time.Unix(1000, 0)
	for i := range 60 {
		if ok, _ := l.allow("a", t0); !ok {
			t.Fatalf("request %d of the burst refused", i)
		}
	}
	ok, wait := l.allow("a", t0)
	if ok || wait != time.Second {
		t.Errorf("61st: %v, wait %v", ok, wait)
	}
	if ok, _ := l.allow("b", t0); !ok {
		t.Error("another client was limited")
	}
	if ok, _ := l.allow("a", t0.Add(500*time.Millisecond)); ok {
		t.Error("allowed after half a token")
	}
	if ok, _ := l.allow("a", t0.Add(1000*time.Millisecond)); !ok {
		t.Error("refused after a full token")
	}
	l.sweep(t0.Add(30 * time.Second))
	if len(l.buckets) != 2 {
		t.Errorf("%d buckets after an early sweep", len(l.buckets))
	}
	l.sweep(t0.Add(2 * time.Minute))
	if len(l.buckets) != 0 {
		t.Errorf("%d buckets after a late sweep", len(l.buckets))
	}
}
