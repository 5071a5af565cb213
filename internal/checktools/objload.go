package checktools

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// OBJReport is what three.js's OBJLoader and MTLLoader made of an OBJ, its MTL and texture
// (.ci/obj-load.mjs prints it).
type OBJReport struct {
	Meshes    int        `json:"meshes"`
	Triangles int        `json:"triangles"`
	HasNormal bool       `json:"hasNormal"`
	HasUV     bool       `json:"hasUV"`
	HasColor  bool       `json:"hasColor"`
	MTLLib    string     `json:"mtllib"`
	Material  string     `json:"material"`
	Map       string     `json:"map"`
	Min       [3]float64 `json:"min"`
	Max       [3]float64 `json:"max"`
	Textures  []struct {
		File          string `json:"file"`
		Width, Height int
	} `json:"textures"`
}

// LoadOBJ loads dir/name.obj, with the MTL and texture it refers to, in three.js (the npm
// package three in <repo>/.tools, or ORFEAS_THREE_DIR) through .ci/obj-load.mjs, and fails t if
// the loaders fail. node must be on PATH; install three with
// `npm install --prefix .tools three@0.170.0`.
func LoadOBJ(t testing.TB, objPath string) OBJReport {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Missing(t, "node is not on PATH")
	}
	repo := repoRoot()
	if os.Getenv("ORFEAS_THREE_DIR") == "" {
		if _, err := os.Stat(filepath.Join(repo, ".tools", "node_modules", "three", "package.json")); err != nil {
			Missing(t, "%s/.tools has no three (npm install --prefix .tools three@0.170.0)", repo)
		}
	}
	out, err := exec.Command(node, filepath.Join(repo, ".ci", "obj-load.mjs"), objPath).CombinedOutput()
	if err != nil {
		t.Fatalf("three.js could not load %s: %v\n%s", objPath, err, out)
	}
	var rep OBJReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("obj-load: %v: %s", err, out)
	}
	return rep
}
