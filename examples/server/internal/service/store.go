package service

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/orfeas3d/orfeas/examples/internal/atomicfile"
	"github.com/orfeas3d/orfeas/mesh/meshio"
)

// Job states as the HTTP API names them.
const (
	stateUploaded   = "uploaded"
	stateQueued     = "queued"
	stateProcessing = "processing"
	stateCompleted  = "completed"
	stateFailed     = "failed"
	stateCanceled   = "canceled"
)

// Job kinds: an uploaded image that can be generated, or a mesh stored by repair or simplify.
const (
	kindImage = "image"
	kindMesh  = "mesh"
)

// File names inside a job's folder. They are fixed by the server; nothing a client sends ever
// becomes part of a path.
const (
	uploadFile   = "upload.png"
	manifestFile = "manifest.json"
	tempPrefix   = atomicfile.TempPrefix
)

// modelFormats are the download formats, by extension: one for each extension in meshio's
// registry (binary STL for .stl), in its order; modelFile names their files.
var modelFormats = func() (exts []string) {
	for _, f := range meshio.Formats() {
		if e := strings.TrimPrefix(f.Ext(), "."); !slices.Contains(exts, e) {
			exts = append(exts, e)
		}
	}
	return exts
}()

func modelFile(ext string) string { return "model." + ext }

// errInterrupted is the error of a job whose generation the server stopped (a restart, or a
// shutdown past its deadline).
const errInterrupted = "interrupted"

// maxIDLen bounds a job ID in a URL. The server's own IDs are 22 characters (jobs.NewID).
const maxIDLen = 64

// validID accepts [A-Za-z0-9_-]{1,64}: the alphabet of jobs.NewID. No dot, no slash, no
// backslash, so an ID can never name anything but a folder directly under the jobs folder. It is
// checked before any map lookup or file system access.
func validID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' {
			continue
		}
		return false
	}
	return true
}

// imageInfo is the upload's description, as the old service reported it.
type imageInfo struct {
	Size            [2]int `json:"size"`
	Format          string `json:"format"`
	Mode            string `json:"mode"`
	HasTransparency bool   `json:"has_transparency"`
	FileSize        int64  `json:"file_size"`
}

// manifest is what is known about one job, persisted as manifest.json in its folder after every
// state change, so that a restarted server knows every job it had.
type manifest struct {
	Version  int        `json:"version"`
	ID       string     `json:"job_id"`
	Kind     string     `json:"kind"`
	Created  time.Time  `json:"created"`
	Updated  time.Time  `json:"updated"`
	Filename string     `json:"filename,omitempty"` // the client's name for the upload, for display only
	Image    *imageInfo `json:"image_info,omitempty"`

	State string `json:"status"`
	Error string `json:"error,omitempty"`
	// ErrorCode names Error's kind for clients that branch on it (see errorCode); "" for none.
	ErrorCode string `json:"error_code,omitempty"`

	// The latest generation's (or mesh operation's) parameters.
	Format  string `json:"format,omitempty"`  // extension of the latest model
	Quality string `json:"quality,omitempty"` // quality level name
	Mode    string `json:"mode,omitempty"`

	// Models lists the extensions of the model files present, sorted.
	Models []string `json:"models,omitempty"`
	// Report is the latest generation's report (generator.Report, or the mesh operation's).
	Report json.RawMessage `json:"report,omitempty"`
	// Seconds is how long the latest generation ran.
	Seconds float64 `json:"seconds,omitempty"`
	// Gen numbers, on NATS, the generation this manifest describes (its record's); 0 locally.
	Gen int `json:"gen,omitempty"`
}

const manifestVersion = 1

// inFlight reports whether the state is queued or processing.
func inFlight(state string) bool { return state == stateQueued || state == stateProcessing }

func (m *manifest) addModel(ext string) {
	if !slices.Contains(m.Models, ext) {
		m.Models = append(m.Models, ext)
		slices.Sort(m.Models)
	}
}

// writeManifest persists m in its job folder on the local disk.
func writeManifest(dir string, m *manifest) error { return writeManifestTo(diskStore{}, dir, m) }

// writeManifestTo persists m in its job folder through fs: atomically, so a reader sees the old
// manifest or the new one, never a part, and a crash leaves at most a temporary file that
// start-up removes.
func writeManifestTo(fs fileStore, dir string, m *manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	return writeBytes(fs, filepath.Join(dir, manifestFile), append(data, '\n'))
}

// knownState reports whether state is one of the API's job states.
func knownState(state string) bool {
	switch state {
	case stateUploaded, stateQueued, stateProcessing, stateCompleted, stateFailed, stateCanceled:
		return true
	}
	return false
}

// readManifest reads a job folder's manifest and checks that it names that folder.
func readManifest(dir, id string) (*manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest of %s: %w", id, err)
	}
	if m.ID != id {
		return nil, fmt.Errorf("manifest of %s names job %q", id, m.ID)
	}
	if m.Kind != kindImage && m.Kind != kindMesh {
		return nil, fmt.Errorf("manifest of %s: unknown kind %q", id, m.Kind)
	}
	if !knownState(m.State) {
		return nil, fmt.Errorf("manifest of %s: unknown state %q", id, m.State)
	}
	return &m, nil
}

// loaded is the outcome of scanning the jobs folder at start-up.
type loaded struct {
	jobs        []*manifest
	interrupted int     // jobs found queued or processing, now failed
	removed     int     // folders without a manifest (a crashed upload), removed
	skipped     []error // folders with a damaged manifest, left alone and not served
	// unwritten are the jobs whose corrected manifest could not be written (a full or read-only
	// folder): they are served as corrected, and written again once the folder takes writes.
	unwritten map[string]error
}

// loadJobs scans root for job folders: it removes temporary files, removes folders that have
// no manifest (an upload that crashed before its manifest was written), skips folders whose
// manifest cannot be read or names an unknown kind or state, marks jobs that were queued or
// processing as failed ("interrupted") and rewrites their manifests through fs, drops model
// files a manifest lists but the folder lacks, and removes model files no manifest lists (a
// result whose manifest was never written). A manifest that cannot be rewritten does not stop
// the start: the job is listed in unwritten, served as corrected, and written later.
func loadJobs(fs fileStore, root string, now time.Time) (loaded, error) {
	out := loaded{unwritten: map[string]error{}}
	entries, err := os.ReadDir(root)
	if err != nil {
		return out, fmt.Errorf("read jobs folder: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(root, name)
		if strings.HasPrefix(name, tempPrefix) {
			os.RemoveAll(path)
			continue
		}
		if !e.IsDir() || !validID(name) {
			continue // not ours: leave it alone
		}
		m, err := readManifest(path, name)
		if errors.Is(err, os.ErrNotExist) {
			if rerr := os.RemoveAll(path); rerr != nil {
				return out, fmt.Errorf("remove incomplete job %s: %w", name, rerr)
			}
			out.removed++
			continue
		}
		if err != nil {
			// Manifests are written atomically, so this one was damaged outside the server:
			// keep the folder for a person to look at, but serve nothing from it.
			out.skipped = append(out.skipped, err)
			continue
		}
		files, err := os.ReadDir(path)
		if err != nil {
			return out, fmt.Errorf("read job %s: %w", name, err)
		}
		present := map[string]bool{}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), tempPrefix) {
				os.Remove(filepath.Join(path, f.Name()))
				continue
			}
			present[f.Name()] = true
		}
		for _, ext := range modelFormats {
			if present[modelFile(ext)] && !slices.Contains(m.Models, ext) {
				// A model whose manifest was never written: nothing can serve it.
				os.Remove(filepath.Join(path, modelFile(ext)))
			}
		}
		dirty := false
		kept := m.Models[:0]
		for _, ext := range m.Models {
			if slices.Contains(modelFormats, ext) && present[modelFile(ext)] {
				kept = append(kept, ext)
			} else {
				dirty = true
			}
		}
		m.Models = kept
		if inFlight(m.State) {
			m.State, m.Error, m.ErrorCode, m.Updated = stateFailed, errInterrupted, "", now
			out.interrupted++
			dirty = true
		}
		if dirty {
			if err := writeManifestTo(fs, path, m); err != nil {
				out.unwritten[m.ID] = err
			}
		}
		out.jobs = append(out.jobs, m)
	}
	return out, nil
}
